"""Gemini Live logs hold a conversation too (``export``, ``--resume``): another app's bare
frames or text log are grouped from their transcription frames into turns (issue 40, item 5);
a log of ours reads its ``local.gemini.turn`` records, the turns as the user saw them, and the
frames around them (no ``type``) do not get in the way."""

from __future__ import annotations

import json
from pathlib import Path

from tests.doctor.gemini_corpus import LOGS, GeminiLog
from voicechat.conversation import load_conversation
from voicechat.protocol.gemini import client_messages as client
from voicechat.protocol.gemini import server_messages as server
from voicechat.protocol.gemini.records import redacted


def _said(path: Path) -> list[tuple[str, str, str]]:
    return [(turn.speaker, turn.text, turn.tool.name if turn.tool else "")
            for turn in load_conversation(path).turns]


def test_our_records_give_the_turns_and_the_tool_round_trip() -> None:
    conversation = load_conversation(LOGS / "gemini_clean.jsonl")
    assert _said(LOGS / "gemini_clean.jsonl") == [
        ("user", "What's the weather in Paris?", ""),
        ("assistant", "Let me check.", ""),
        ("tool", "", "get_weather"),
        ("assistant", "It is sunny and 21 degrees in Paris.", ""),
        ("user", "Thanks!", ""),
        ("assistant", "You're welcome.", ""),
    ]
    tool = conversation.turns[2].tool
    assert tool is not None and tool.call_id == "call-1" and "sunny" in (tool.output or "")
    assert conversation.model and "native-audio" in conversation.model
    assert conversation.turns[0].t is not None and conversation.log_format == "voicechat"


def test_bare_frames_in_the_sdk_spelling_and_text_logs_read_alike() -> None:
    assert _said(LOGS / "gemini_clean_sdk_bare.jsonl")[:3] == [
        ("user", "Weather in Oslo?", ""), ("assistant", "Checking.", ""),
        ("tool", "", "get_weather")]
    cancelled = load_conversation(LOGS / "gemini_clean_sdk_bare.jsonl").turns[2]
    assert cancelled.status == "interrupted"  # withdrawn by toolCallCancellation
    assert _said(LOGS / "gemini_go_away_not_resumed.log") == [
        ("user", "Tell me a story.", ""), ("assistant", "Once upon a time...", "")]


def test_fragments_interruptions_and_typed_turns(tmp_path: Path) -> None:
    log = GeminiLog()
    log.connect()
    log.hear(server.input_transcription("What is "))
    log.hear(server.input_transcription("the time?"))
    log.hear(server.output_transcription("It is "))
    log.hear(server.output_transcription("ten"))
    log.hear(server.interrupted())
    log.send(client.user_turn("Stop, thanks"))
    log.hear(server.output_transcription("Sure."))
    log.hear(server.turn_complete())
    log.write_bare(tmp_path / "turns.jsonl")
    turns = load_conversation(tmp_path / "turns.jsonl").turns
    assert [(t.speaker, t.text, t.status) for t in turns] == [
        ("user", "What is the time?", "done"), ("assistant", "It is ten", "interrupted"),
        ("user", "Stop, thanks", "done"), ("assistant", "Sure.", "done")]


def test_our_gemini_log_exports_its_turns(tmp_path: Path) -> None:
    rows = [
        ("out", redacted(client.setup("gemini-live"))),
        ("in", server.setup_complete()),
        ("local", {"type": "local.gemini.turn", "speaker": "user", "text": "Hello", "turn": 0,
                   "typed": True}),
        ("out", client.user_turn("Hello")),
        ("in", server.output_transcription("Hi there.")),
        ("in", server.turn_complete()),
        ("local", {"type": "local.gemini.turn", "speaker": "assistant", "text": "Hi there.",
                   "turn": 0}),
        ("local", {"type": "local.gemini.turn", "speaker": "assistant", "text": "One two",
                   "turn": 1, "interrupted": True}),
    ]
    log = tmp_path / "gemini.jsonl"
    log.write_text("".join(json.dumps({"t": i / 10, "ts": "2026-11-25T12:00:00.000Z",
                                       "dir": d, "event": e}) + "\n"
                           for i, (d, e) in enumerate(rows)), encoding="utf-8")
    turns = load_conversation(log).turns
    assert [(t.speaker, t.text, t.status) for t in turns] == [
        ("user", "Hello", "done"), ("assistant", "Hi there.", "done"),
        ("assistant", "One two", "interrupted")]
