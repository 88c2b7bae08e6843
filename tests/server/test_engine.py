"""The engine's orchestration without a network: client events in, canonical events out.

A real :class:`VoiceKit` (echo responder, tone voice) and the WebSocket :class:`DeltaSink`, so
these runs are what a WebSocket session does minus the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from voicechat.protocol.dialect import Dialect
from voicechat.server import sessions
from voicechat.server.audio_out import DeltaSink
from voicechat.server.engine import Engine
from voicechat.server.options import EngineOptions
from voicechat.server.voicekit import VoiceKit


class Session:
    def __init__(self, *, delta_interval_s: float = 0.0, dialect: Dialect = Dialect.GA) -> None:
        self.events: list[dict[str, Any]] = []
        self.engine = Engine(
            emit=self.events.append,
            dialect=dialect,
            session=sessions.default_session("gpt-realtime"),
            kit=VoiceKit("tone", "echo"),
            sink=DeltaSink(self.events.append, speedup=0),
            options=EngineOptions(text_delta_interval_s=delta_interval_s),
        )

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def until(self, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
        """Poll (the engine's tasks run meanwhile) until ``check`` holds."""
        async with asyncio.timeout(timeout_s):
            while not check():
                await asyncio.sleep(0.01)

    async def say(self, text: str) -> None:
        content = [{"type": "input_text", "text": text}]
        await self.engine.handle(
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "user", "content": content},
            }
        )


async def test_text_turn_runs_the_whole_sequence() -> None:
    s = Session()
    await s.engine.start()
    await s.say("hello there")
    await s.engine.handle({"type": "response.create", "response": {"output_modalities": ["text"]}})
    await s.until(lambda: bool(s.of("response.done")))
    await s.engine.close()
    assert s.types()[:2] == ["session.created", "conversation.item.added"]
    done = s.of("response.done")[0]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0]["text"] == "You said: hello there"
    assert all(e["event_id"].startswith("event_") for e in s.events)
    assert s.engine.counters == {"responses": 1, "commits": 0, "errors": 0}


async def test_cancel_then_nothing_to_cancel() -> None:
    s = Session(delta_interval_s=0.05)
    await s.engine.start()
    await s.say("please say something long enough to cancel")
    await s.engine.handle({"type": "response.create"})
    second = {"type": "response.create", "event_id": "evt_2"}
    await s.engine.handle(second)  # one conversation response at a time
    error = s.of("error")[0]["error"]
    assert error["code"] == "conversation_already_has_active_response"
    assert error["event_id"] == "evt_2"
    await s.until(lambda: bool(s.of("response.content_part.added")))
    await s.engine.handle({"type": "response.cancel"})
    done = s.of("response.done")[0]["response"]  # cancel returns once the response ended
    assert done["status"] == "cancelled"
    assert done["status_details"]["reason"] == "client_cancelled"
    await s.engine.handle({"type": "response.cancel"})
    assert s.of("error")[-1]["error"]["code"] == "response_cancel_not_active"
    assert s.engine.counters["errors"] == 2
    await s.engine.close()


async def test_out_of_band_response_runs_beside_the_conversation_one() -> None:
    s = Session(delta_interval_s=0.05)
    await s.engine.start()
    await s.say("hello")
    await s.engine.handle({"type": "response.create"})
    await s.engine.handle(
        {"type": "response.create", "response": {"conversation": "none", "metadata": {"k": 1}}}
    )
    created = [e["response"] for e in s.of("response.created")]
    assert [r["conversation_id"] is None for r in created] == [False, True]
    await s.until(lambda: len(s.of("response.content_part.added")) == 2)
    await s.engine.handle({"type": "response.cancel", "response_id": created[1]["id"]})
    side_done = s.of("response.done")[0]["response"]
    assert side_done["id"] == created[1]["id"] and side_done["status"] == "cancelled"
    await s.until(lambda: len(s.of("response.done")) == 2)
    assert s.of("response.done")[1]["response"]["status"] == "completed"
    items = [e["item"]["id"] for e in s.of("conversation.item.done")]
    assert len(items) == 2  # the user's item and the conversation response's item only
    await s.engine.close()


async def test_close_ends_every_task_and_sends_nothing_more() -> None:
    s = Session(delta_interval_s=0.05)
    baseline = asyncio.all_tasks()
    await s.engine.start()
    await s.say("hello")
    await s.engine.handle({"type": "response.create"})
    await s.engine.handle({"type": "response.create", "response": {"conversation": "none"}})
    await s.until(lambda: len(s.of("response.content_part.added")) == 2)
    n = len(s.events)
    await s.engine.close()
    assert s.engine.closed and len(s.events) == n  # no response.done after close
    assert asyncio.all_tasks() - baseline == set()


async def test_unknown_and_transport_specific_events_are_refused() -> None:
    s = Session(dialect=Dialect.BETA)
    await s.engine.start()
    assert s.types() == ["session.created", "conversation.created"]
    await s.engine.handle({"type": "output_audio_buffer.clear", "event_id": "e1"})
    await s.engine.handle({"type": "no.such.event"})
    errors = [e["error"] for e in s.of("error")]
    assert [e["param"] for e in errors] == ["type", "type"]
    assert "output_audio_buffer.clear" not in errors[1]["message"]  # WebSocket has no such buffer
    await s.engine.close()


async def test_a_response_cut_before_it_began_still_ends() -> None:
    """The VAD's speech_stopped started a turn's response and the next speech_started cut it
    (``interrupt_response``) in the same feed, before the response's task took its first
    step: its body never ran, so it sent no response.done and stayed active for good, and
    every later turn was skipped as "a response already runs" (a voicechat test run of a
    server with its own session timed out on a busy core)."""
    s = Session()
    await s.engine.start()
    await s.say("stop")
    s.engine.responses.start({})  # what on_turn does for the committed turn
    await s.engine.on_speech_started(True)  # no step in between: the same VAD feed
    [done] = [e["response"] for e in s.of("response.done")]
    assert done["status"] == "cancelled"
    assert done["status_details"]["reason"] == "turn_detected"
    assert not s.engine.responding()
    await s.engine.handle({"type": "response.create"})  # the next turn is answered
    await s.until(lambda: len(s.of("response.done")) == 2)
    assert s.of("response.done")[1]["response"]["status"] == "completed"
    await s.engine.close()
