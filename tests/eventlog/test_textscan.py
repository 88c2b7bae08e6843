"""The inline scanner finds an event's JSON in any surrounding text (logcat, console dumps)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

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
