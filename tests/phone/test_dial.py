"""The phone network's wire to a Twilio-style agent, against a small agent of our own on
127.0.0.1 (tests/phone/fake_agent.py): the signed webhook and upgrade, the stream's messages in
real time, marks echoed on the playback clock, ``clear``, keys, hang-ups, and each way the
webhook or the stream can fail, named once (issue 75)."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from tests.helpers import until
from tests.phone.fake_agent import FakeAgent
from voicechat.phone.twilio.media_stream import SILENCE, Cleared, Event, MediaStream, Received
from voicechat.phone.twilio.signature import TEST_AUTH_TOKEN
from voicechat.phone.twilio.twiml import Say, Stream, Twiml
from voicechat.phone.twilio.webhook import Call
from voicechat.transport.twilio.dial import PhoneError, connect, ring
from voicechat.transport.twilio.stream_call import StreamCall


@asynccontextmanager
async def running(agent: FakeAgent) -> AsyncIterator[str]:
    """The agent on a free port of 127.0.0.1; yields its webhook's URL."""
    runner = web.AppRunner(agent.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/incoming-call"
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Line:
    """A call placed to the agent and running: what the caller heard and saw so far."""

    hook: str
    call: Call
    twiml: Twiml
    stream: Stream
    phone: StreamCall
    running: asyncio.Task[str]
    heard: list[bytes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@asynccontextmanager
async def on_the_line(agent: FakeAgent) -> AsyncIterator[Line]:
    """Ring ``agent``, open its stream and run the call with a quiet caller."""
    call = Call.new()
    heard: list[bytes] = []
    events: list[Event] = []
    async with running(agent) as hook, aiohttp.ClientSession() as http:
        twiml = await ring(http, hook, call, auth_token=TEST_AUTH_TOKEN)
        stream = twiml.steps[1]
        assert isinstance(stream, Stream)
        phone = StreamCall(await connect(http, stream, auth_token=TEST_AUTH_TOKEN),
                           MediaStream(call, stream), caller=lambda: b"",
                           hear=lambda audio, now: heard.append(audio), on_event=events.append)
        yield Line(hook, call, twiml, stream, phone, asyncio.create_task(phone.run()), heard,
                   events)


async def test_a_call_rings_the_webhook_and_talks_over_the_stream_on_a_playback_clock() -> None:
    agent = FakeAgent(reply_ms=400)
    async with on_the_line(agent) as line:
        assert line.twiml.steps[0] == Say("Hello")
        # the agent wrote its public wss:// URL (no port): reached at its own port here,
        # and the upgrade signed over what it wrote (its check passed, or it would refuse)
        assert line.stream.url == line.hook.replace("http://", "ws://").replace(
            "incoming-call", "media-stream")
        assert line.stream.signed == "wss://127.0.0.1/media-stream"
        await until(lambda: agent.seen.mark_echoed_at is not None, "the mark's echo")
        line.phone.press("0")  # the agent hangs up on 0
        assert await asyncio.wait_for(line.running, 30) == "agent"
    # the webhook got Twilio's form, signed (the agent refuses a bad signature with 403)
    assert agent.seen.form["CallSid"] == line.call.call_sid
    assert agent.seen.form["CallStatus"] == "ringing"
    first, start, *rest = agent.seen.messages
    assert first["event"] == "connected"
    assert start["start"]["customParameters"] == {"who": "test"}
    assert start["start"]["callSid"] == line.call.call_sid
    # a quiet caller is silence, every 20 ms, never nothing; the numbers are strings
    frames = [m for m in rest if m["event"] == "media"]
    assert len(frames) >= 10
    assert {base64.b64decode(m["media"]["payload"]) for m in frames} == {SILENCE * 160}
    assert [m["media"]["timestamp"] for m in frames[:3]] == ["0", "20", "40"]
    # the agent's 400 ms came in one message, and were played in full, on the clock: the mark
    # was echoed once they had played, not when it arrived
    assert sum(len(a) for a in line.heard) == 8 * 400
    assert [type(e) for e in line.events] == [Received]
    assert agent.seen.mark_sent_at is not None and agent.seen.mark_echoed_at is not None
    assert agent.seen.mark_echoed_at - agent.seen.mark_sent_at >= 0.38
    assert [m["dtmf"]["digit"] for m in rest if m["event"] == "dtmf"] == ["0"]
    # every message numbered in order, with no gap (a key is numbered when it is sent)
    numbers = [int(m["sequenceNumber"]) for m in agent.seen.messages[1:]]
    assert numbers == list(range(1, len(numbers) + 1))
    with pytest.raises(ValueError, match="a key is one of 0-9, \\* and #"):
        line.phone.press("A")


async def test_clear_drops_the_queued_audio_and_echoes_the_mark_at_once() -> None:
    agent = FakeAgent(reply_ms=5000)
    async with on_the_line(agent) as line:
        await until(lambda: bool(line.heard), "the agent's audio playing")
        line.phone.press("#")  # the agent clears on #
        await until(lambda: agent.seen.mark_echoed_at is not None, "the mark's echo")
        line.phone.hang_up()
        assert await asyncio.wait_for(line.running, 30) == "caller"
    cleared = [e for e in line.events if isinstance(e, Cleared)]
    assert len(cleared) == 1 and cleared[0].dropped_ms > 0
    assert sum(len(a) for a in line.heard) < 8 * 5000  # the rest was dropped, never played
    assert agent.seen.messages[-1]["event"] == "stop"  # the caller's hang-up


@asynccontextmanager
async def ringing(agent: FakeAgent) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    async with running(agent) as hook, aiohttp.ClientSession() as http:
        yield hook, http


async def test_a_webhook_that_is_not_there_is_named_with_the_fix() -> None:
    url = f"http://127.0.0.1:{free_port()}/incoming-call"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(PhoneError, match=r"could not reach the agent's webhook "
                                             rf"{url} .*is the agent running"):
            await ring(http, url, Call.new(), auth_token=TEST_AUTH_TOKEN)


@pytest.mark.parametrize(("agent", "token", "said"), [
    (FakeAgent(webhook_status=500), TEST_AUTH_TOKEN, r"answered HTTP 500 .*error 11200"),
    (FakeAgent(), "0" * 32, r"answered HTTP 403 .*X-Twilio-Signature .*TWILIO_AUTH_TOKEN"),
    (FakeAgent(twiml="{\"say\": \"hi\"}"), TEST_AUTH_TOKEN, r"is not XML .*<Response>"),
    (FakeAgent(twiml="<Response><Connect><Stream url=\"wss://h/x?a=1\"/></Connect></Response>"),
     TEST_AUTH_TOKEN, r"query string.*31920"),
])
async def test_a_webhook_that_answers_wrong_is_one_clear_error(
        agent: FakeAgent, token: str, said: str) -> None:
    async with ringing(agent) as (hook, http):
        with pytest.raises(PhoneError, match=said) as raised:
            await ring(http, hook, Call.new(), auth_token=token)
    assert hook in str(raised.value)


async def test_a_webhook_that_does_not_answer_in_time_is_named_with_the_limit() -> None:
    async with ringing(FakeAgent(webhook_delay_s=5.0)) as (hook, http):
        with pytest.raises(PhoneError, match=r"did not answer within 0.3 s .*11205"):
            await ring(http, hook, Call.new(), auth_token=TEST_AUTH_TOKEN, timeout_s=0.3)


async def test_a_stream_that_refuses_the_signature_or_is_not_there_is_named() -> None:
    async with ringing(FakeAgent()) as (hook, http):
        twiml = await ring(http, hook, Call.new(), auth_token=TEST_AUTH_TOKEN)
        stream = twiml.steps[1]
        assert isinstance(stream, Stream)
        with pytest.raises(PhoneError, match=r"refused the WebSocket upgrade \(HTTP 403\).*"
                                             r"X-Twilio-Signature"):
            await connect(http, stream, auth_token="0" * 32)
        nowhere = Stream(f"ws://127.0.0.1:{free_port()}/media-stream")
        with pytest.raises(PhoneError, match=r"could not reach the agent's stream .*--stream-url"):
            await connect(http, nowhere, auth_token=TEST_AUTH_TOKEN)
