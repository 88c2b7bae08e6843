"""Redaction of logged events: audio becomes a byte count, and no API key or token survives."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.eventlog.redact import needs_redaction, needs_redaction_bytes, redact_event

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
EPHEMERAL = "ek_68af2c1b9e5c8190a1b2c3d4e5f6"


def test_audio_payloads_become_byte_counts() -> None:
    pcm = bytes(4800)
    b64 = base64.b64encode(pcm).decode()
    append = redact_event({"type": "input_audio_buffer.append", "audio": b64})
    assert append == {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}
    for kind in ("response.output_audio.delta", "response.audio.delta"):
        delta = redact_event({"type": kind, "response_id": "resp_1", "delta": b64})
        assert delta["delta"] == {"bytes": 4800}
        assert delta["response_id"] == "resp_1"
    # transcript deltas are text, not audio: kept
    text = redact_event({"type": "response.output_audio_transcript.delta", "delta": "Hi"})
    assert text["delta"] == "Hi"
    # audio inside an item (conversation.item.retrieved) too, wherever it is nested
    item = redact_event({"type": "conversation.item.retrieved", "item": {
        "content": [{"type": "input_audio", "audio": b64, "transcript": "yo"}]}})
    assert item["item"]["content"][0] == {"type": "input_audio", "audio": {"bytes": 4800},
                                          "transcript": "yo"}


def test_redaction_is_idempotent_and_does_not_mutate() -> None:
    event = {"type": "response.output_audio.delta", "delta": base64.b64encode(b"abcdef").decode()}
    original = json.loads(json.dumps(event))
    once = redact_event(event)
    assert event == original
    assert redact_event(once) == once


def test_secrets_are_removed_everywhere() -> None:
    event = {
        "type": "local.notice",
        "level": "error",
        "message": f"401 from server with Authorization: Bearer {KEY} (key {KEY})",
        "headers": {"Authorization": f"Bearer {EPHEMERAL}", "api-key": "0123456789abcdef",
                    "OpenAI-Beta": "realtime=v1"},
        "protocols": ["realtime", f"openai-insecure-api-key.{KEY}"],
        "client_secret": {"value": EPHEMERAL, "expires_at": 1795255200},
        "nested": [{"note": f"token {EPHEMERAL} expired"}],
    }
    out = redact_event(event)
    text = json.dumps(out)
    assert KEY not in text and EPHEMERAL not in text and "0123456789abcdef" not in text
    assert out["headers"]["OpenAI-Beta"] == "realtime=v1"  # harmless values survive
    assert out["client_secret"]["expires_at"] == 1795255200
    assert out["protocols"][0] == "realtime"
    assert "401 from server" in out["message"]



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
    from voicechat.eventlog.redact import needs_redaction

    event = {**body, "type": kind}
    for text in (json.dumps(event), json.dumps(event, ensure_ascii=False),
                 json.dumps(event, separators=(",", ":"))):
        if not needs_redaction(text, event):
            assert redact_event(event) == event


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["response.output_text.delta", "session.update", "error",
                             "conversation.item.create"]),
       body=st.dictionaries(_TEXT, _JSONISH, max_size=5), ascii_only=st.booleans())
def test_a_text_log_line_is_read_redacted_as_its_event_would_be(
        tmp_path_factory: pytest.TempPathFactory, kind: str, body: dict,
        ascii_only: bool) -> None:
    """The text reader skips the walk on the JSON an object was decoded from, never more."""
    from voicechat.eventlog.reader import read_entries
    from voicechat.eventlog.stats import ReadStats

    event = {**body, "type": kind}
    path = tmp_path_factory.mktemp("logcat") / "app.log"
    line = json.dumps(event, ensure_ascii=ascii_only)
    path.write_text(f"11-21 10:00:00.010  4321  4390 D RealtimeClient: >> {line}\n",
                    encoding="utf-8")
    entries = list(read_entries(path, ReadStats()))
    assert [entry.event for entry in entries] == [redact_event(event)]


@pytest.mark.parametrize("line", [
    '>> {"type":"session.update","session":{"client_secret":{"value":"ek_live_abc"}}}',
    ">> {type: 'session.update', session: {client_secret: {value: 'ek_live_abc'}}}",
    # an object literal: its unquoted keys are not what the JSON pre-check looks for
    ">> {type: 'conversation.item.create', item: {content: [{type: 'input_audio', "
    "audio: 'QUJDRA=='}]}}",
])
def test_secrets_in_text_logs_never_survive(tmp_path: Path, line: str) -> None:
    from voicechat.eventlog.reader import read_entries
    from voicechat.eventlog.stats import ReadStats

    path = tmp_path / "app.log"
    path.write_text(f"11-21 10:00:00.010  4321  4390 D RealtimeClient: {line}\n")
    entries = list(read_entries(path, ReadStats()))
    assert len(entries) == 1
    assert "abc" not in repr(entries[0].event) and "QUJDRA" not in repr(entries[0].event)


_PRE_CHECK_WORDS = ['"audio"', '"audio" :\x1c "', '"audio":"', "KEY", "Token\"", "sk-", "ek_",
                    "Secret", "BEARER", "Authorization", "passWord", "://", ":\\/\\/",
                    "\\u0041", "\\n", "\u212aey", "\u0130", "caf\u00e9", "tokens", "k", '"']


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PRE_CHECK_WORDS), st.text(max_size=4)),
                max_size=8),
       st.sampled_from([{"type": "response.output_audio.delta", "delta": "QUJD"},
                        {"type": "response.output_audio.delta", "delta": {"bytes": 3}},
                        {"type": "response.done"}, {}]))
def test_the_pre_check_on_bytes_answers_as_on_text(words: list[str],
                                                   event: dict[str, object]) -> None:
    """The line reader asks the redaction pre-check of a line's bytes: the same answer as of
    its text, whatever it holds (the Kelvin sign lowers to an ASCII ``k``)."""
    text = "".join(words)
    raw = text.encode("utf-8", "surrogatepass")
    assert needs_redaction_bytes(raw, event) == needs_redaction(
        raw.decode("utf-8", "surrogatepass"), event)


def test_hosted_mcp_header_values_are_masked_whatever_their_names(tmp_path: Path) -> None:
    """A hosted MCP tool's ``headers`` may carry a credential under any name; the names stay.
    The recorder's and the reader's redaction agree, and the masked form is stable."""
    tool = {"type": "mcp", "server_label": "docs", "server_url": "http://127.0.0.1:8000/mcp",
            "headers": {"X-Tenant-Auth": "t3nant-s3cret", "Accept-Language": "en",
                        "Authorization": "Bearer abc123def"}}
    event = {"type": "session.update", "session": {"type": "realtime", "tools": [tool]}}
    out = redact_event(event)
    headers = out["session"]["tools"][0]["headers"]
    assert headers == {"X-Tenant-Auth": "[redacted]", "Accept-Language": "[redacted]",
                       "Authorization": "[redacted]"}
    assert out["session"]["tools"][0]["server_url"] == "http://127.0.0.1:8000/mcp"
    assert redact_event(out) == out
    from voicechat.eventlog.reader import read_entries
    from voicechat.eventlog.stats import ReadStats

    log = tmp_path / "bare.jsonl"
    log.write_text(json.dumps(event) + "\n")
    read = [e.event for e in read_entries(log, ReadStats())]
    assert "t3nant-s3cret" not in json.dumps(read)


def test_pictures_keep_their_shape_but_not_their_bytes() -> None:
    payload = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 91).decode()
    event = {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
             "content": [{"type": "input_image", "image_url": f"data:image/png;base64,{payload}"},
                         {"type": "input_text", "text": "what is it?"}]}}
    out = redact_event(event)
    part = out["item"]["content"][0]
    assert part == {"type": "input_image", "image_url": "data:image/png;base64,<99 bytes>"}
    assert out["item"]["content"][1] == {"type": "input_text", "text": "what is it?"}
    assert redact_event(out) == out
    assert needs_redaction(json.dumps(event), event)
    plain = {"type": "x", "item": {"image_url": "https://example.com/cat.png"}}
    assert redact_event(plain)["item"]["image_url"] == "https://example.com/cat.png"
