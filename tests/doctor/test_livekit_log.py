"""A LiveKit agent's session against ``voicechat serve``, recorded and read by the doctor: no
advice about the nulls LiveKit sends (issue 56). The log is what the server really answered, so
before the fix it held the server's ``invalid_type`` error and the doctor told LiveKit users to
"Set 'response.instructions' to a string"."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.helpers import until
from tests.protocol.test_unset_nulls import LIVEKIT_REPLY
from tests.server.conftest import ws_peer
from tests.server.test_ws import user_text
from voicechat.doctor.engine import diagnose
from voicechat.server.app import LocalServer

#: livekit-agents 1.8.9's first ``session.update`` (its nulls and ``"inf"``).
LIVEKIT_SESSION = {
    "type": "session.update",
    "event_id": "session_update_1",
    "session": {
        "type": "realtime",
        "model": "gpt-realtime",
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "tracing": None,
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000},
                      "noise_reduction": None, "transcription": {"model": "gpt-4o-mini-transcribe"},
                      "turn_detection": {"type": "semantic_vad", "create_response": True,
                                         "interrupt_response": True, "eagerness": "medium"}},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin",
                       "speed": 1.0},
        },
        "tool_choice": "auto",
        "tools": [],
    },
}


async def test_a_livekit_session_gets_no_advice_about_its_nulls(
    server: LocalServer, tmp_path: Path
) -> None:
    answers = {"session.update": "session.updated",
               "conversation.item.create": "conversation.item.added",
               "response.create": "response.done"}
    wire: list[dict[str, Any]] = []  # the events in the order they crossed the wire
    async with ws_peer(server) as peer:
        seen = 0
        for event in (LIVEKIT_SESSION, user_text("Hello there"), LIVEKIT_REPLY):
            await peer.send(event)
            wire.append(event)
            answer = answers[str(event["type"])]
            await until(lambda a=answer, s=seen: any(  # type: ignore[misc]
                e["type"] in (a, "error") for e in peer.log.events[s:]), f"{answer} or error")
            await asyncio.sleep(0.2)  # the rest of the answer's events
            wire.extend(peer.log.events[seen:])
            seen = len(peer.log.events)
    log = tmp_path / "livekit.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in wire), encoding="utf-8")
    report = diagnose(log)
    assert not [f for f in report.findings if f.rule in ("invalid-session-param",
                                                         "dialect-mismatch")], report.findings
    assert "instructions" not in json.dumps([f.to_json() for f in report.findings])
    assert not [e for e in wire if e["type"] == "error"]
    assert [e for e in wire if e["type"] == "response.done"]
