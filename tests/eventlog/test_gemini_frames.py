"""Gemini Live frames in any log format: typed ``gemini.<message>``, audio out, closes read."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from voicechat.eventlog import ReadStats, read_entries
from voicechat.eventlog.gemini_frames import close_event, frame_event

AUDIO = base64.b64encode(bytes(3200)).decode()


@pytest.mark.parametrize(("frame", "kind", "direction"), [
    ({"setup": {"model": "models/x"}}, "gemini.setup", "out"),
    ({"realtime_input": {"audio": {"data": AUDIO, "mime_type": "audio/pcm;rate=16000"}}},
     "gemini.realtimeInput", "out"),
    ({"tool_response": {"function_responses": []}}, "gemini.toolResponse", "out"),
    ({"usageMetadata": {}, "serverContent": {"turnComplete": True}}, "gemini.serverContent",
     "in"),
    ({"usage_metadata": {}}, "gemini.usageMetadata", "in"),
    ({"goAway": {"timeLeft": "50s"}}, "gemini.goAway", "in"),
])
def test_a_frame_is_typed_by_its_message_in_either_spelling(frame: dict, kind: str,
                                                           direction: str) -> None:
    found = frame_event(frame)
    assert found is not None
    event, side = found
    assert event["type"] == kind and side == direction
    assert AUDIO not in json.dumps(event)  # the voice leaves as its size


@pytest.mark.parametrize("obj", [
    {"type": "session.update", "session": {}},  # Realtime
    {"setup": {}, "type": "x"},
    {"setup": {}, "serverContent": {}},  # both sides: not one frame
    {"hello": 1}, {}, [],
])
def test_what_is_not_a_gemini_frame(obj: object) -> None:
    assert frame_event(obj) is None


@pytest.mark.parametrize(("line", "code", "reason"), [
    ("WebSocket closed: code=1011 reason=Deadline expired before operation could complete.",
     1011, "Deadline expired before operation could complete."),
    ("[10:00:01.000] live.js:77 WebSocket closed 1007 realtime_input.media_chunks is "
     "deprecated.", 1007, "realtime_input.media_chunks is deprecated."),
    ("CloseEvent {code: 1008, reason: 'models/x is not found'}", 1008, "models/x is not found"),
    ("Gemini Live closed the connection with close code 1011 (internal error): Deadline "
     "expired", 1011, "Deadline expired"),
])
def test_close_lines(line: str, code: int, reason: str) -> None:
    event = close_event(line)
    assert event is not None and event["code"] == code and event["reason"] == reason


@pytest.mark.parametrize("line", ["session ended", "code 1007 without the word",
                                  "closed after 3 retries", "WebSocket closed 999"])
def test_lines_that_are_not_closes(line: str) -> None:
    assert close_event(line) is None


def test_arrays_and_wrappers_of_frames(tmp_path: Path) -> None:
    frames = [{"setup": {"model": "models/x"}}, {"setupComplete": {}},
              {"serverContent": {"outputTranscription": {"text": "Hi"}}}]
    array = tmp_path / "frames.json"
    array.write_text(json.dumps(frames, indent=1))
    stats = ReadStats()
    assert [e.type for e in read_entries(array, stats)] == [
        "gemini.setup", "gemini.setupComplete", "gemini.serverContent"]
    assert stats.format == "json-array" and stats.gemini

    wrapped = tmp_path / "wrapped.jsonl"
    wrapped.write_text("".join(json.dumps({"direction": "received", "data": json.dumps(f)})
                               + "\n" for f in frames))
    assert [e.dir for e in read_entries(wrapped)] == ["in", "in", "in"]  # the wrapper says


def test_a_close_line_is_read_only_once_the_log_is_gemini(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("10:00:00.000 WebSocket closed 1011 before anything\n"
                   '10:00:01.000 recv {"setupComplete": {}}\n'
                   "10:00:02.000 WebSocket closed 1011 Deadline expired\n")
    entries = list(read_entries(log))
    assert [e.type for e in entries] == ["gemini.setupComplete", "gemini.close"]
    assert entries[1].t == pytest.approx(1.0) and entries[1].dir == "in"


def test_resumption_handles_are_fingerprinted_never_kept() -> None:
    """A handle reopens the conversation for hours: only a fingerprint that tells two apart."""
    first = frame_event({"setup": {"sessionResumption": {"handle": "h-secret-1"}}})
    again = frame_event({"session_resumption_update": {"new_handle": "h-secret-1"}})
    other = frame_event({"sessionResumptionUpdate": {"newHandle": "h-secret-2"}})
    ours = frame_event({"sessionResumptionUpdate": {"newHandle": "[redacted]"}})
    assert first and again and other and ours
    shown = first[0]["setup"]["sessionResumption"]["handle"]
    assert "secret" not in json.dumps([first, again, other])
    assert shown == again[0]["session_resumption_update"]["new_handle"]
    assert shown != other[0]["sessionResumptionUpdate"]["newHandle"]
    assert ours[0]["sessionResumptionUpdate"]["newHandle"] == "[redacted]"


@pytest.mark.parametrize("depth", [500, 1000, 3000])
def test_a_frame_nested_too_deeply_is_skipped_not_raised(tmp_path: Path, depth: int) -> None:
    log = tmp_path / "deep.jsonl"
    log.write_text('{"setup": ' + "[" * depth + "]" * depth + "}\n"
                   '{"setupComplete": {}}\n')
    stats = ReadStats()
    assert [e.type for e in read_entries(log, stats)] == ["gemini.setupComplete"]
    assert stats.skipped_lines == 1
