"""Property tests: inline events are found in any surrounding text; secrets never survive."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.eventlog.redact import redact_event
from voicechat.eventlog.textscan import InlineScanner

# Log noise around the JSON: anything but braces (a stray "{" is tested separately).
noise = st.text(alphabet=st.characters(blacklist_characters="{}\n\r",
                                       blacklist_categories=("Cs",)), max_size=40)
# Values inside events may contain braces, quotes, backslashes and unicode.
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
kinds = st.sampled_from(["response.output_audio_transcript.delta", "response.cancel",
                         "input_audio_buffer.speech_started", "error", "session.update"])


@settings(max_examples=150, deadline=None)
@given(prefix=noise, suffix=noise, kind=kinds, text=values, pretty=st.booleans())
def test_scanner_finds_the_event_whatever_surrounds_it(prefix: str, suffix: str, kind: str,
                                                       text: str, pretty: bool) -> None:
    event = {"type": kind, "delta": text, "nested": {"x": [1, {"y": text}]}}
    body = json.dumps(event, indent=2 if pretty else None, ensure_ascii=False)
    scanner = InlineScanner()
    found = []
    lines = (prefix + body + suffix).split("\n")
    for number, line in enumerate(lines, start=1):
        found.extend(scanner.feed(line + "\n", number))
    assert [f.obj for f in found] == [event]
    assert found[0].line == 1 and found[0].prefix == prefix


secrets = st.one_of(
    st.from_regex(r"sk-(proj-)?[A-Za-z0-9]{20,40}", fullmatch=True),
    st.from_regex(r"ek_[A-Za-z0-9]{10,30}", fullmatch=True),
)
words = st.text(alphabet="abcdefghij ,.:", max_size=20)


@settings(max_examples=150, deadline=None)
@given(secret=secrets, before=words, after=words, key=st.sampled_from(
    ["message", "note", "detail", "Authorization", "api-key", "token"]), depth=st.integers(0, 3))
def test_no_secret_survives_redaction(secret: str, before: str, after: str, key: str,
                                      depth: int) -> None:
    value: object = {key: f"{before} {secret} {after}"}
    for _ in range(depth):
        value = {"inner": [value]}
    event = {"type": "local.notice", "payload": value}
    assert secret not in json.dumps(redact_event(event))


_TEXT = st.builds(
    lambda head, marker, tail: head + marker + tail,
    st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz_-.:/@ 0123456789\"'\\")),
            max_size=12),
    st.sampled_from(["", "sk-proj12345678", "ek_abc123456789", "Bearer x", "api_key=v", "Key",
                     "://u:p@h", "audio", "delta"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
    | st.text(max_size=6),
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["response.output_text.delta", "response.output_audio.delta",
                             "input_audio_buffer.append", "session.update", "error"]),
       body=st.dictionaries(_TEXT, _JSONISH, max_size=5))
def test_the_reader_skips_redaction_only_where_redaction_changes_nothing(
        kind: str, body: dict) -> None:
    import json

    from voicechat.eventlog.reader import needs_redaction

    event = {**body, "type": kind}
    for text in (json.dumps(event), json.dumps(event, ensure_ascii=False),
                 json.dumps(event, separators=(",", ":"))):
        if not needs_redaction(text, event):
            assert redact_event(event) == event
