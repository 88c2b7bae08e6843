"""What the line face prints of a Gemini conversation: its turns as ``user:``/``assistant:``
lines, and in the event flow each frame by its message keys, the many audio and transcript
frames left out as for the other families."""

from __future__ import annotations

from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.lines.gemini import completes_turn
from voicechat.lines.printer import conversation_line, event_line
from voicechat.protocol.gemini import client_messages, server_messages
from voicechat.protocol.gemini.records import redacted


def record(direction: str, event: dict[str, Any]) -> LogRecord:
    return LogRecord(1.0, "", direction, event)  # type: ignore[arg-type]


def test_turns_print_as_conversation_lines() -> None:
    said = record("local", {"type": "local.gemini.turn", "speaker": "assistant",
                            "text": "One two", "turn": 0, "interrupted": True})
    assert conversation_line(said) == "assistant (interrupted): One two"
    assert event_line(said) == "    1.00 :: assistant (interrupted): 'One two'"
    assert conversation_line(record("in", server_messages.turn_complete())) is None


def test_the_event_flow_names_frames_and_leaves_out_the_stream() -> None:
    audio = record("out", redacted(client_messages.audio("AAAA")))
    heard = record("in", server_messages.output_transcription("Hi"))
    spoken = record("in", redacted(server_messages.model_audio("AAAA")))
    assert [event_line(r) for r in (audio, heard, spoken)] == [None, None, None]
    assert event_line(record("out", client_messages.setup())) == "    1.00 -> setup"
    done = record("in", server_messages.turn_complete(server_messages.usage(1, 2)))
    assert event_line(done) == "    1.00 <- serverContent.turnComplete"
    assert completes_turn(done.event)
    assert not completes_turn(server_messages.generation_complete())
