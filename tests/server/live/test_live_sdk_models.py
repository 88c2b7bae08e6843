"""Every event the local server's GPT-Live side sends validates against the official SDK's
live types (``openai.types.live``, openai 3.52.0), strictly: no field the SDK's model does not
declare (:func:`tests.server.live.sdk_live_models.problems`).

One WebSocket session plays every kind of event: refusals, the start with Responses
delegation, the three appends and their acks, mute, an update, a spoken turn that delegates a
tool call (nested ``response.event``s), the outputs and the spoken answer, usage, the close.
A sideband attached to it checks the sideband union (reflected mic, timed output audio); a
WebRTC call checks its data channel.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.helpers import EventLog, local_server, until
from tests.server.fake_chat import calls_reply, fake_chat, text_reply
from tests.server.live.peers import AUTH, live_rtc, live_ws, spoken
from tests.server.live.sdk_live_models import problems
from tests.speech import TEST_PHRASES

WEATHER = {"type": "function", "name": "get_weather",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


def check_all(events: list[dict[str, Any]], *, sideband: bool = False) -> None:
    found = [p for e in events for p in problems(e, sideband=sideband)]
    assert not found, "\n".join(found[:10])


async def test_every_event_of_a_websocket_session_and_its_sideband() -> None:
    async with (
        fake_chat(calls_reply([("get_weather", '{"city": "Paris"}')], preamble="One moment."),
                  text_reply("Sunny.")) as chat,
        local_server(responder=f"chat:{chat.url}", asr_phrases=TEST_PHRASES,
                     live_usage_interval_s=0.5, live_answer_instructions=False) as srv,
        live_ws(srv) as peer,
    ):
        await peer.send({"type": "session.update", "session": {}, "event_id": "early"})
        await peer.send({"type": "session.start", "event_id": "s1", "session": {
            "model": "gpt-live-1", "instructions": "Be brief.",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
            "delegation": {"type": "responses", "responses": {"model": "gpt-5.5",
                                                              "tools": [WEATHER]}}}})
        started = await peer.log.wait_for("session.started")
        side_log = EventLog()
        url = (srv.base_url.replace("http", "ws", 1)
               + f"/v1/live/sessions/{started['session']['id']}/attach")
        async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=AUTH) as side:
            async def read_side() -> None:
                async for msg in side:
                    side_log.add(json.loads(msg.data))

            import asyncio
            side_reader = asyncio.ensure_future(read_side())
            for kind in ("instructions", "thinking", "commentary"):
                await peer.send({"type": f"session.{kind}.append", "content": "Okay.",
                                 "delegation_id": None, "event_id": kind})
            await peer.send({"type": "session.thinking.append", "content": "z" * 2000,
                             "delegation_id": None})
            await peer.send({"type": "session.input_audio.mute", "event_id": "m"})
            await peer.send({"type": "session.input_audio.unmute", "event_id": "u"})
            await peer.send({"type": "session.update", "event_id": "up", "session": {
                "delegation": {"type": "responses", "responses": {"tools": [WEATHER]}}}})
            await peer.send({"type": "no.such.event"})
            await peer.stream(spoken(TEST_PHRASES[1]))
            call_done = await peer.log.wait_for(
                "response.event", where=lambda e: e["event"]["type"] == "response.output_item.done")
            call = call_done["event"]["item"]
            await peer.send({"type": "response.item.create", "item": {
                "type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}})
            await peer.send({"type": "response.create", "event_id": "rc"})
            await peer.log.wait_for("session.output_transcript.delta",
                                    where=lambda e: e["delta"].strip().startswith("Sunny"))
            await peer.log.wait_for("session.usage.updated")
            await until(lambda: any(e["type"] == "session.input_audio.append"
                                    for e in side_log.events), "the mic reflected")
            await peer.send({"type": "session.close"})
            await peer.log.wait_for("session.closed")
            await side_log.wait_for("session.closed")
            side_reader.cancel()
        kinds = set(peer.log.types())
        assert {"error", "session.started", "session.instructions.appended",
                "session.thinking.appended", "session.commentary.appended",
                "session.input_audio.muted", "session.input_audio.unmuted", "session.updated",
                "session.input_transcript.delta", "session.output_transcript.delta",
                "session.output_audio.delta", "session.delegation.created", "response.event",
                "session.usage.updated", "session.closed"} <= kinds
        check_all(peer.log.events)
        assert {"session.input_audio.append", "session.output_audio.delta"} <= set(
            side_log.types())
        check_all(side_log.events, sideband=True)


async def test_every_event_on_a_webrtc_data_channel(server: Any) -> None:
    async with live_rtc() as peer:
        status, _ = await peer.create(server, {"model": "gpt-live-1",
                                               "audio": {"output": {"voice": "cedar"}}})
        assert status == 201
        await peer.log.wait_for("session.started")
        peer.send({"type": "session.input_audio.append", "audio": "AAAA"})  # not on WebRTC
        peer.mic.push(spoken(TEST_PHRASES[4], rate=48000))
        await peer.log.wait_for("session.output_transcript.delta")
        peer.send({"type": "session.close"})
        await peer.log.wait_for("session.closed")
        assert "error" in peer.log.types()
        check_all(peer.log.events)


def test_the_slow_reader_error_is_a_live_error_event() -> None:
    from voicechat.server.live.ws import _slow_reader_event

    event = _slow_reader_event(1024)
    assert event["error"]["code"] == "client_not_reading"
    check_all([event])
