"""One-line summaries of events, both dialects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voicechat.eventlog.summary import arrow, is_delta, is_error, summarize, summary_line


def test_summaries_name_the_fields_that_matter() -> None:
    started = {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1200,
               "item_id": "item_U1"}
    assert summarize(started) == "input_audio_buffer.speech_started item_U1 at 1200 ms"
    assert summarize({"type": "response.done", "response": {
        "id": "resp_1", "status": "cancelled",
        "status_details": {"type": "cancelled", "reason": "turn_detected"}}}) == (
        "response.done resp_1 cancelled (turn_detected)")
    assert summarize({"type": "error", "error": {
        "code": "unknown_parameter", "message": "Unknown parameter: 'session.x'."}}) == (
        "error unknown_parameter: Unknown parameter: 'session.x'.")
    assert summarize({"type": "response.audio.delta", "response_id": "r", "item_id": "i",
                      "delta": {"bytes": 960}}) == "response.audio.delta r i 960 bytes"
    assert summarize({"type": "local.mic.muted", "reason": "playback"}) == (
        "local.mic.muted reason=playback")
    assert summarize({"type": "made.up"}) == "made.up"


def test_session_summary_in_both_dialects() -> None:
    ga = {"type": "session.updated", "session": {"type": "realtime", "audio": {
        "input": {"transcription": None, "turn_detection": {
            "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
            "silence_duration_ms": 200}}, "output": {"voice": "marin"}}}}
    assert summarize(ga) == ("session.updated realtime, server_vad 0.5/300/200, transcription "
                             "off, voice marin")
    beta = {"type": "session.update", "session": {
        "turn_detection": None, "input_audio_transcription": {"model": "whisper-1"}}}
    assert summarize(beta) == "session.update vad off, transcription whisper-1"


def test_long_text_is_clipped_to_one_line() -> None:
    line = summarize({"type": "conversation.item.input_audio_transcription.completed",
                      "item_id": "i", "transcript": "word\nword " * 50})
    assert "\n" not in line and len(line) < 140 and line.endswith('…"')


def test_classifiers_and_line() -> None:
    assert is_delta("response.output_audio_transcript.delta") and is_delta(
        "input_audio_buffer.append")
    assert not is_delta("response.done")
    assert is_error({"type": "conversation.item.input_audio_transcription.failed"})
    assert is_error({"type": "response.done", "response": {"status": "failed"}})
    assert not is_error({"type": "response.done", "response": {"status": "completed"}})
    assert (arrow("in"), arrow("out"), arrow("local")) == ("←", "→", "·")
    assert summary_line(1.5, "out", {"type": "response.create"}) == "   1.500 → response.create"


def test_response_done_shows_its_token_usage() -> None:
    usage = {"input_tokens": 1120, "output_tokens": 252, "obfuscation": "x",
             "input_token_details": {"text_tokens": 1000, "audio_tokens": 120,
                                     "cached_tokens": 960},
             "output_token_details": {"text_tokens": 52, "audio_tokens": 200}}
    line = summarize({"type": "response.done",
                      "response": {"id": "resp_1", "status": "completed", "usage": usage}})
    assert line == ("response.done resp_1 completed · in 1120 (text 1000, audio 120, cached 960)"
                    " · out 252 (text 52, audio 200)")
    assert summarize({"type": "response.done", "response": "x"}) == "response.done"
    assert summarize({"type": "response.done", "response": {"id": "r", "usage": 3}}) == (
        "response.done r")

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                       lambda c: st.lists(c, max_size=2)
                       | st.dictionaries(st.text(max_size=10), c, max_size=3), max_leaves=6)


@given(st.sampled_from(["response.done", "response.created", "session.updated",
                        "rate_limits.updated", "response.output_audio.delta", "error",
                        "conversation.item.added", "conversation.item.input_audio_transcription"
                        ".segment"]),
       st.dictionaries(st.sampled_from(["response", "session", "rate_limits", "delta", "error",
                                        "item", "usage", "item_id"]), _values, max_size=3))
def test_any_malformed_event_is_summarized_without_raising(kind: str, fields: dict) -> None:
    """The TUI's event pane and --no-ui print every event: a bad one must not raise there."""
    assert summarize({"type": kind, **fields}).startswith(kind)
