"""Every event the local server sends validates against the official SDK's models of its dialect.

Both dialects, both transports (WebSocket; WebRTC's ``oai-events`` data channel), over one
session that plays a text turn, a voice turn (audio in → server VAD → commit → transcription →
spoken answer), a barge-in (speech during a long answer: cancel, cut, truncate) and a few item
operations and a refusal; a tool session (a spoken preamble then a call, its output, the
answer, two parallel calls, their outputs, refusals of tool input); and a transcription
session. The strict check (no key the model
does not declare, except the documented fields the real service sends) is
:func:`tests.server.sdk_models.problems`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import EventLog, local_server
from tests.server.conftest import rtc_peer, ws_peer
from tests.server.sdk_models import problems
from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.protocol.dialect import Dialect
from voicechat.server.app import LocalServer

GA, BETA = Dialect.GA, Dialect.BETA
LONG_REPLY = " ".join(["This reply keeps the assistant talking for quite a while."] * 6)
SCRIPT = ["Hello from the text turn.", "A short spoken answer.", LONG_REPLY, "After the cut."]
RESPONSE_EVENTS = ("response.created", "response.done")
BETA_HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "realtime=v1"}


def spoken(text: str, rate: int, lead_s: float = 0.3, tail_s: float = 1.2) -> np.ndarray:
    silence = [np.zeros(int(lead_s * rate), np.int16), np.zeros(int(tail_s * rate), np.int16)]
    return np.concatenate([silence[0], speech_pcm(text, rate), silence[1]])


def transcription_on(dialect: Dialect) -> dict[str, Any]:
    if dialect is GA:
        audio = {"input": {"transcription": {"model": "whisper-1"}}}
        return {"type": "session.update", "session": {"type": "realtime", "audio": audio}}
    return {
        "type": "session.update",
        "session": {"input_audio_transcription": {"model": "whisper-1"}, "temperature": 0.7},
    }


def text_response(dialect: Dialect) -> dict[str, Any]:
    key = "output_modalities" if dialect is GA else "modalities"
    return {"type": "response.create", "response": {key: ["text"]}}


USER_TEXT = {
    "type": "conversation.item.create",
    "item": {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hello there"}],
    },
}


class Peer:
    """What the scenario needs of a WebSocket or WebRTC test peer."""

    def __init__(
        self,
        log: EventLog,
        send: Callable[[dict[str, Any]], Any],
        speak: Callable[[str], Any],
        webrtc: bool,
    ) -> None:
        self.log, self._send, self._speak, self.webrtc = log, send, speak, webrtc

    async def send(self, event: dict[str, Any]) -> None:
        result = self._send(event)
        if result is not None:
            await result

    async def speak(self, text: str) -> None:
        result = self._speak(text)
        if result is not None:
            await result


@asynccontextmanager
async def connect(srv: LocalServer, dialect: Dialect, transport: str) -> AsyncIterator[Peer]:
    if transport == "websocket":
        headers = BETA_HEADERS if dialect is BETA else None
        model = "gpt-realtime" if dialect is GA else "gpt-4o-realtime-preview"
        async with ws_peer(srv, f"/v1/realtime?model={model}", headers=headers) as ws:

            async def speak(text: str) -> None:
                await ws.append_pcm(spoken(text, 24000))

            yield Peer(ws.log, ws.send, speak, webrtc=False)
        return
    async with rtc_peer() as rtc:
        url = (
            f"{srv.base_url}/v1/realtime/calls"
            if dialect is GA
            else f"{srv.base_url}/v1/realtime?model=gpt-4o-realtime-preview"
        )
        assert await rtc.connect(url, "sk-test") == 201
        await rtc.log.wait_for("session.created")
        yield Peer(rtc.log, rtc.send, lambda text: rtc.speak(spoken(text, 48000)), webrtc=True)


async def full_session(peer: Peer, dialect: Dialect) -> None:
    """Text turn, voice turn, barge-in, item operations, one refusal."""
    log = peer.log
    await peer.send(transcription_on(dialect))
    await log.wait_for("session.updated")
    # a text turn
    await peer.send(USER_TEXT)
    await peer.send(text_response(dialect))
    first = await log.wait_for("response.done")
    # a voice turn: VAD, commit, transcription, a spoken answer
    n = len(log.events)
    await peer.speak(TEST_PHRASES[0])
    await log.wait_for("conversation.item.input_audio_transcription.completed", after=n)
    second = await log.wait_for("response.done", after=log.index(first) + 1)
    if peer.webrtc:
        await log.wait_for("output_audio_buffer.stopped", after=n)
    # a barge-in: the long answer is interrupted by speech
    n = len(log.events)
    await peer.send(USER_TEXT)
    await peer.send({"type": "response.create"})
    long_created = await log.wait_for("response.created", after=n)
    if peer.webrtc:
        await log.wait_for("output_audio_buffer.started", after=n)
    else:
        delta = "response.output_audio.delta" if dialect is GA else "response.audio.delta"
        await log.wait_for(delta, after=n)
    await peer.speak(TEST_PHRASES[1])
    await log.wait_for("input_audio_buffer.speech_started", after=n)
    long_done = await log.wait_for(
        "response.done",
        where=lambda e: e["response"]["id"] == long_created["response"]["id"],
        after=n,
    )
    item_id = long_done["response"]["output"][0]["id"]
    if peer.webrtc:
        await log.wait_for("output_audio_buffer.cleared", after=n)
    else:  # the client cuts what it played
        await peer.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": 100,
            }
        )
    await log.wait_for("conversation.item.truncated", after=n)
    await log.wait_for("response.done", after=log.index(long_done) + 1)
    # item operations and one refusal (nothing to cancel)
    await peer.send({"type": "conversation.item.retrieve", "item_id": item_id})
    await log.wait_for("conversation.item.retrieved")
    await peer.send({"type": "conversation.item.delete", "item_id": item_id})
    await log.wait_for("conversation.item.deleted")
    await peer.send({"type": "response.cancel", "event_id": "evt_nothing"})
    await log.wait_for("error", where=lambda e: e["error"].get("event_id") == "evt_nothing")
    assert second["response"]["status"] == "completed"


def assert_valid(events: list[dict[str, Any]], dialect: Dialect) -> None:
    found = [p for event in events for p in problems(event, dialect)]
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
@pytest.mark.parametrize("dialect", [GA, BETA], ids=["ga", "beta"])
async def test_every_event_of_a_session_validates(
    dialect: Dialect, transport: str, tmp_path: Path
) -> None:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(SCRIPT) + "\n", encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}", asr_phrases=TEST_PHRASES) as srv,
        connect(srv, dialect, transport) as peer,
    ):
        await full_session(peer, dialect)
        events = list(peer.log.events)
    kinds = {e["type"] for e in events}
    # the session really went through every family the check is meant to cover
    ga_names = {
        "response.output_text.delta",
        "response.output_audio_transcript.delta",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.added",
        "conversation.item.done",
    }
    beta_names = {
        "response.text.delta",
        "response.audio_transcript.delta",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.created",
    }
    assert (ga_names if dialect is GA else beta_names) <= kinds
    assert {"rate_limits.updated", "conversation.item.truncated", "error"} <= kinds
    if transport == "webrtc":
        assert {"output_audio_buffer.started", "output_audio_buffer.cleared"} <= kinds
    else:
        assert "response.output_audio.delta" in kinds or "response.audio.delta" in kinds
    # only beta WebSocket sessions announce the conversation (real beta WebRTC logs do not)
    assert ("conversation.created" in kinds) == (dialect is BETA and transport == "websocket")
    sessions = [e["session"] for e in events if e["type"].startswith("session.")]
    responses = [e["response"] for e in events if e["type"] in RESPONSE_EVENTS]
    if dialect is BETA:
        assert [s["temperature"] for s in sessions] == [0.8, 0.7]
        assert not {"truncation", "prompt", "type", "audio"} & {k for s in sessions for k in s}
        assert all(r["temperature"] == 0.7 and "max_output_tokens" in r for r in responses)
        assert not any("max_response_output_tokens" in r for r in responses)
        assert not any("obfuscation" in e for e in events)
    else:
        assert not any("temperature" in s for s in sessions + responses)
        limits = [e["rate_limits"] for e in events if e["type"] == "rate_limits.updated"]
        assert {entry["name"] for entries in limits for entry in entries} == {"tokens"}
    assert_valid(events, dialect)


TOOL_SCRIPT = [
    'Let me check that. @call get_weather {"city": "Paris"}',
    "It is sunny in Paris.",
    '@call get_weather {"city": "Oslo"} @call get_time {"zone": "Europe/Oslo"}',
    "Cold in Oslo, and it is noon.",
]
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
TIME_TOOL = {**WEATHER_TOOL, "name": "get_time", "description": "The time in a zone."}


def call_output(call_id: str, output: Any = "ok") -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": output},
    }


async def tool_session(peer: Peer, dialect: Dialect) -> list[dict[str, Any]]:
    """Preamble + call, output, answer; two parallel calls, outputs, answer; tool refusals.
    Returns the four ``response.done`` events."""
    log = peer.log
    tools = [WEATHER_TOOL, TIME_TOOL]
    session = {"type": "realtime", "tools": tools} if dialect is GA else {"tools": tools}
    await peer.send({"type": "session.update", "session": session})
    await log.wait_for("session.updated")
    await peer.send(USER_TEXT)
    dones: list[dict[str, Any]] = []
    for turn in range(4):
        n = len(log.events)
        await peer.send({"type": "response.create"})
        dones.append(await log.wait_for("response.done", after=n))
        calls = [o for o in dones[-1]["response"]["output"] if o["type"] == "function_call"]
        assert len(calls) == [1, 0, 2, 0][turn]
        for call in calls:
            await peer.send(call_output(call["call_id"], f"result of {call['name']}"))
    bad_outputs = (call_output("call_unknown000000000"), call_output("call_1", {"not": "text"}))
    for number, bad in enumerate(bad_outputs):
        tag = f"evt_bad_output_{number}"
        await peer.send({**bad, "event_id": tag})
        await log.wait_for("error", where=lambda e, tag=tag: e["error"].get("event_id") == tag)
    if peer.webrtc:
        last = dones[-1]["response"]["id"]
        await log.wait_for("output_audio_buffer.stopped", where=lambda e: e["response_id"] == last)
    return dones


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
@pytest.mark.parametrize("dialect", [GA, BETA], ids=["ga", "beta"])
async def test_every_event_of_a_tool_session_validates(
    dialect: Dialect, transport: str, tmp_path: Path
) -> None:
    script = tmp_path / "tools.txt"
    script.write_text("\n".join(TOOL_SCRIPT) + "\n", encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}") as srv,
        connect(srv, dialect, transport) as peer,
    ):
        dones = await tool_session(peer, dialect)
        events = list(peer.log.events)
    kinds = {e["type"] for e in events}
    assert {
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.added",
        "response.output_item.done",
        "error",
    } <= kinds
    assert ("conversation.item.done" in kinds) == (dialect is GA)
    outputs = [[(o["type"], o["status"]) for o in d["response"]["output"]] for d in dones]
    assert outputs == [
        [("message", "completed"), ("function_call", "completed")],
        [("message", "completed")],
        [("function_call", "completed"), ("function_call", "completed")],
        [("message", "completed")],
    ]
    assert_valid(events, dialect)


def test_the_check_catches_what_the_sdk_lets_through() -> None:
    """The SDK's models accept unknown keys; the check does not (except documented ones)."""
    delta = {
        "type": "response.output_text.delta",
        "event_id": "event_1",
        "response_id": "resp_1",
        "item_id": "item_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hi",
    }
    assert problems({**delta, "obfuscation": "A5Nj2cC01aseXj"}, GA) == []
    assert problems({**delta, "obfuscaton": "x"}, GA) == [
        "response.output_text.delta: undeclared field 'obfuscaton'"
    ]
    usage = {"input_token_details": {"text_tokens": 1, "cached_tokenz": 0}}
    done = {"type": "response.done", "event_id": "e", "response": {"id": "r", "usage": usage}}
    assert problems(done, GA) == [
        "response.done: undeclared field 'response.usage.input_token_details.cached_tokenz'"
    ]
    assert problems({**delta, "content_index": "zero"}, GA)[0].startswith(
        "response.output_text.delta: "
    )
    assert problems({**delta, "type": "response.text.delta"}, GA)  # a beta name on GA


@pytest.mark.parametrize("dialect", [GA, BETA], ids=["ga", "beta"])
async def test_every_event_of_a_transcription_session_validates(dialect: Dialect) -> None:
    path = "/v1/realtime?intent=transcription"
    headers = BETA_HEADERS if dialect is BETA else None
    if dialect is GA:
        audio = {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}}
        update: dict[str, Any] = {
            "type": "session.update",
            "session": {"type": "transcription", "audio": audio},
        }
    else:
        update = {
            "type": "transcription_session.update",
            "session": {"input_audio_transcription": {"model": "gpt-4o-mini-transcribe"}},
        }
    async with (
        local_server(asr_phrases=TEST_PHRASES) as srv,
        ws_peer(srv, path, headers=headers) as peer,
    ):
        await peer.send(update)
        updated = "session.updated" if dialect is GA else "transcription_session.updated"
        await peer.log.wait_for(updated)
        await peer.append_pcm(spoken(TEST_PHRASES[5], 24000))
        done = await peer.log.wait_for("conversation.item.input_audio_transcription.completed")
        events = list(peer.log.events)
    assert done["transcript"] == TEST_PHRASES[5]
    assert done["usage"]["type"] == "tokens"  # a gpt-4o-*-transcribe model bills by tokens
    assert events[0]["session"]["object"] == "realtime.transcription_session"
    assert not {"rate_limits.updated", "response.created"} & {e["type"] for e in events}
    assert_valid(events, dialect)
