"""GPT-Live over WebRTC on the local server: the documented JSON create, audio over RTP both
ways, events on the data channel; and the sideband (the official SDK's
``client.live.sideband.connect``) watching that call."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import numpy as np
from openai import AsyncOpenAI

from tests.helpers import until
from tests.server.live.peers import AUTH, live_rtc, spoken
from tests.server.live.sdk_live_models import problems
from tests.speech import TEST_PHRASES
from voicechat.server.app import LocalServer


async def test_webrtc_create_speak_and_hear(server: LocalServer) -> None:
    async with live_rtc() as peer:
        status, reply = await peer.create(server, {"model": "gpt-live-1"})
        assert status == 201
        assert set(reply) == {"session", "transport"}
        assert reply["session"]["id"].startswith("live_")
        assert reply["transport"]["type"] == "webrtc" and "m=audio" in reply["transport"]["sdp"]
        started = await peer.log.wait_for("session.started")
        assert peer.log.events[0] is started  # the first thing on the channel
        assert "format" not in started["session"]["audio"]
        peer.send({"type": "session.start", "session": {"model": "gpt-live-1"}})
        again = await peer.log.wait_for("error")
        assert again["error"]["code"] == "session_already_started"
        peer.mic.push(spoken(TEST_PHRASES[3], rate=48000))
        await peer.log.wait_for("session.output_transcript.delta")
        heard = "".join(e["delta"] for e in peer.log.of("session.input_transcript.delta"))
        assert heard.strip() == TEST_PHRASES[3]
        await until(lambda: peer.heard_samples() > 4800, "the assistant's voice on the track")
        assert not peer.log.of("session.output_audio.delta")  # audio rides RTP, not the channel
        # a second turn on the same call, the mic streaming silence in between
        answered = len(peer.log.of("session.output_transcript.delta"))
        await until(lambda: not server.live_sessions[reply["session"]["id"]].replies.speaking,
                    "the first answer finished")
        peer.mic.push(spoken(TEST_PHRASES[5], rate=48000))
        await peer.log.wait_for("session.output_transcript.delta",
                                where=lambda e: "seven" in e["delta"], after=answered)
        heard = "".join(e["delta"] for e in peer.log.of("session.input_transcript.delta"))
        assert heard.strip() == f"{TEST_PHRASES[3]} {TEST_PHRASES[5]}"
        peer.send({"type": "session.close"})
        closed = await peer.log.wait_for("session.closed")
        assert closed["reason"] == "close_requested"


async def test_webrtc_create_refuses_audio_format_and_sdp_bodies(server: LocalServer) -> None:
    async with live_rtc() as peer:
        status, reply = await peer.create(
            server, {"model": "gpt-live-1",
                     "audio": {"format": {"type": "audio/pcm", "rate": 24000}}})
        assert status == 400
        assert reply["error"]["code"] == "unknown_parameter"
        assert reply["error"]["param"] == "session.audio.format"
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{server.base_url}/v1/live/sessions", data="v=0\r\nm=audio",
                               headers={**AUTH, "Content-Type": "application/sdp"})
        assert resp.status == 400
        assert "JSON" in (await resp.json())["error"]["message"]


async def test_sdk_sideband_sees_the_call_and_may_steer_it(server: LocalServer) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=f"{server.base_url}/v1")
    async with live_rtc() as peer:
        status, _ = await peer.create(server, {"model": "gpt-live-1"})
        assert status == 201 and peer.session_id
        await peer.log.wait_for("session.started")
        seen: list[Any] = []
        async with client.live.sideband.connect(session_id=peer.session_id) as side:
            async def watch() -> None:
                async for event in side:
                    seen.append(event)

            watcher = asyncio.ensure_future(watch())
            # the SDK has no sideband start (forbidden there): send the raw event
            await side.send({"type": "session.start", "session": {"model": "gpt-live-1"}})  # type: ignore[arg-type]
            peer.mic.push(spoken(TEST_PHRASES[0], rate=48000))
            await until(lambda: any(e.type == "session.output_audio.delta" for e in seen),
                        lambda: f"reflected output audio; saw {[e.type for e in seen][-5:]}")
            await side.session.commentary.append(content="Noted.", delegation_id=None)
            await peer.log.wait_for("session.commentary.appended")
            # stopped and awaited here, not left to the event loop's teardown: a task still
            # pending there once hung the teardown for pytest-timeout's 300 s under load
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await client.close()
        kinds = [e.type for e in seen]
        assert "session.input_audio.append" in kinds  # the mic, reflected
        assert "session.input_transcript.delta" in kinds
        out = next(e for e in seen if e.type == "session.output_audio.delta")
        assert out.start_ms is not None and out.end_ms > out.start_ms
        error = next(e for e in seen if e.type == "error")
        assert error.error.code == "session_already_started"
        reflected = next(e for e in seen if e.type == "session.input_audio.append")
        assert np.frombuffer(__import__("base64").b64decode(reflected.audio), "<i2").size > 0


async def test_data_channel_permissions_limit_the_frontend_not_the_sideband(
    server: LocalServer,
) -> None:
    client_config = {"data_channel": {
        "allowed_client_events": ["session.close", "session.input_audio.mute"],
        "allowed_server_events": [{"type": "session.started"}, {"type": "error"},
                                  {"type": "session.output_transcript.delta"},
                                  {"type": "session.closed"}]}}
    async with live_rtc() as peer:
        status, _ = await peer.create(server, {"model": "gpt-live-1", "client": client_config})
        assert status == 201
        info = await peer.log.wait_for("info")
        assert info["code"] == "data_channel_permissions"
        assert "session.close" in info["message"]
        peer.send({"type": "session.commentary.append", "content": "Hi.",
                   "delegation_id": None, "event_id": "c1"})
        refused = await peer.log.wait_for("error")
        assert refused["error"]["code"] == "event_not_allowed"
        assert refused["client_event_id"] == "c1"
        engine = server.live_sessions[peer.session_id or ""]
        peer.send({"type": "session.input_audio.mute"})  # allowed, but its ack is not
        await until(lambda: engine.muted, "the mute applied")
        peer.send({"type": "session.close"})
        await peer.log.wait_for("session.closed")
        assert set(peer.log.types()) == {"session.started", "info", "error", "session.closed"}
        assert not [p for e in peer.log.events for p in problems(e)]
