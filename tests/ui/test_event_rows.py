"""The event pane's rows as data: folding per response and per speech segment, filters, trim."""

from __future__ import annotations

import pytest

from voicechat.eventlog.record import LogRecord
from voicechat.ui.event_rows import EventRows


def rec(t: float, event: dict, direction: str = "in") -> LogRecord:
    return LogRecord(t=t, ts="", dir=direction, event=event)  # type: ignore[arg-type]


def delta(t: float, rid: str, text: str = "x") -> LogRecord:
    return rec(t, {"type": "response.output_audio_transcript.delta", "response_id": rid,
                   "delta": text})


def test_deltas_fold_per_response_and_keep_their_first_time() -> None:
    rows = EventRows()
    assert rows.add(delta(1.0, "resp_1"))[1] is True
    row, new = rows.add(delta(1.1, "resp_1"))
    assert new is False and row.count == 2 and row.first_t == 1.0
    assert rows.add(delta(1.2, "resp_2"))[1] is True  # another response: its own line
    rows.add(rec(1.3, {"type": "response.done", "response": {"id": "resp_1"}}))
    assert rows.add(delta(1.4, "resp_1"))[1] is True  # a done response closes its fold
    assert [r.count for r in rows.all] == [2, 1, 1, 1]


def test_mic_appends_fold_per_speech_segment() -> None:
    rows = EventRows()
    append = {"type": "input_audio_buffer.append", "audio": {"bytes": 960}}
    for t in (0.0, 0.02, 0.04):
        rows.add(rec(t, append, "out"))
    rows.add(rec(0.05, {"type": "input_audio_buffer.speech_started", "item_id": "i1"}))
    rows.add(rec(0.06, append, "out"))
    assert [(r.kind, r.count) for r in rows.all] == [
        ("input_audio_buffer.append", 3), ("input_audio_buffer.speech_started", 1),
        ("input_audio_buffer.append", 1)]


def test_filters_keep_everything_stored() -> None:
    rows = EventRows()
    rows.add(delta(1.0, "resp_1"))
    rows.add(rec(1.1, {"type": "error", "error": {"message": "bad"}}))
    rows.add(rec(1.2, {"type": "response.created", "response": {"id": "resp_1"}}))
    rows.set_filter("errors")
    assert [r.kind for r in rows.visible] == ["error"]
    rows.set_filter("no_deltas")
    assert [r.kind for r in rows.visible] == ["error", "response.created"]
    assert rows.next_filter() == "errors"
    with pytest.raises(ValueError, match="unknown filter"):
        rows.set_filter("some")  # type: ignore[arg-type]
    assert len(rows.all) == 3


def test_trim_is_batched_and_drops_the_oldest() -> None:
    rows = EventRows(max_lines=10)
    for n in range(20):
        rows.add(rec(n, {"type": "response.created", "response": {"id": f"r{n}"}}))
        if rows.over_limit():
            rows.trim()
    assert 10 <= len(rows.all) <= 20
    assert rows.all[-1].record.t == 19
    rows.trim()
    assert [r.record.t for r in rows.all] == list(range(10, 20))


def test_strings_from_the_wire_cannot_drive_the_terminal() -> None:
    rows = EventRows()
    rows.add(rec(1.0, {"type": "error\x1b[2J", "error": {"message": "bad\x1b]0;pwned\x07"}}))
    row = rows.all[0]
    assert "\x1b" not in row.kind + row.text and "\x07" not in row.text
    assert "\\x1b" in row.kind


def test_transcript_text_and_problems_are_shown_with_escapes() -> None:
    from voicechat.core.view import TranscriptEntry
    from voicechat.ui.problems import problem_from_event
    from voicechat.ui.viewstate import read_entry

    entry = read_entry(TranscriptEntry(id="i", role="assistant", text="hi\x1b[2J\nthere",
                                       status="done"))
    assert entry.text == "hi\\x1b[2J\nthere"
    problem = problem_from_event("in", {"type": "error", "error": {"message": "x\x1b[31m"}})
    assert problem is not None and "\x1b" not in str(problem)


def test_a_tool_turn_reads_as_calls_and_outputs_with_its_argument_deltas_folded() -> None:
    """The real beta recording's call streams its arguments in 75 deltas: one line counts them;
    an output says its tool and how long the app took (tool turn in the reference's shapes)."""
    from tests.eventlog.tool_turns import function_turn, records
    from tests.ui.observer.recorded import FIXTURES, events

    rows = EventRows()
    for item in events("s", FIXTURES / "beta_webrtc_bill_negotiation_long.jsonl"):
        rows.add(item.record)
    folded = [r for r in rows.all if r.kind == "response.function_call_arguments.delta"]
    assert [r.count for r in folded] == [75]
    assert folded[0].text == 'call_kmnUtkOoDYWLgJHP "}"'
    done = next(r for r in rows.all if r.kind == "response.function_call_arguments.done")
    assert done.text.startswith('call transferToSupervisor {"destination_agent_name":"marco_')
    assert done.text.endswith("(448 bytes) (call_kmnUtkOoDYWLgJHP)")
    response = [r for r in rows.all if r.kind == "response.done"][-1]
    assert "· calls transferToSupervisor completed ·" in response.text

    rows = EventRows()
    for record in records(function_turn(answer_after=0.5)):
        rows.add(record)
    sent = next(r for r in rows.all if r.record.dir == "out"
                and r.kind == "conversation.item.create")
    assert sent.text.endswith("(27 bytes) · get_weather, 0.50 s after the call")
    rows.clear()  # a new session: nothing remembered from the old one
    rows.add(next(r for r in records(function_turn()) if r.dir == "out"))
    assert rows.all[0].text.endswith("(27 bytes)")


def test_gemini_frames_are_named_by_their_message_and_their_streams_fold() -> None:
    """Gemini Live frames have no ``type``: the pane showed "→ ?" ten times a second for the
    mic's audio. They are named by their message keys, and the audio and transcript frames
    fold per direction until the turn ends."""
    from voicechat.protocol.gemini import client_messages as client
    from voicechat.protocol.gemini import server_messages as server

    rows = EventRows()
    audio = client.audio("AAAA")
    rows.add(rec(0.0, client.setup("gemini-live"), "out"))
    rows.add(rec(0.1, server.setup_complete()))
    for t in (0.2, 0.3, 0.4):
        rows.add(rec(t, audio, "out"))
    for t in (0.5, 0.6):
        rows.add(rec(t, server.output_transcription("Hi")))
    rows.add(rec(0.7, server.turn_complete()))
    rows.add(rec(0.8, audio, "out"))
    assert [(r.kind, r.count) for r in rows.all] == [
        ("setup", 1), ("setupComplete", 1), ("realtimeInput (audio)", 3),
        ("serverContent (stream)", 2), ("serverContent.turnComplete", 1),
        ("realtimeInput (audio)", 1)]
    assert "?" not in {r.kind for r in rows.all}
