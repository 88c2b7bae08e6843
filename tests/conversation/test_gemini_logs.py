"""A Gemini Live log of ours as a conversation (``export``, ``--resume``): its
``local.gemini.turn`` records are the turns as the user saw them; the frames around them (no
``type``) do not get in the way."""

from __future__ import annotations

import json
from pathlib import Path

from voicechat.conversation import load_conversation
from voicechat.protocol.gemini import client_messages, server_messages
from voicechat.protocol.gemini.records import redacted


def test_our_gemini_log_exports_its_turns(tmp_path: Path) -> None:
    rows = [
        ("out", redacted(client_messages.setup("gemini-live"))),
        ("in", server_messages.setup_complete()),
        ("local", {"type": "local.gemini.turn", "speaker": "user", "text": "Hello", "turn": 0,
                   "typed": True}),
        ("out", client_messages.user_turn("Hello")),
        ("in", server_messages.output_transcription("Hi there.")),
        ("in", server_messages.turn_complete()),
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
