"""voicechat's side of the phone network calling a phone agent no one here wrote (issue 75):
Pipecat's ``TwilioFrameSerializer`` on its FastAPI transport, the model behind it our local
server (tests/foreign/pipecat_twilio_agent.py, in ``.venv-pipecat``).

The call goes as on Twilio: the webhook answers TwiML with a ``wss://`` URL on its own host and
no port; voicechat reaches it at the webhook's port, sends ``connected``, ``start`` and the
caller's μ-law every 20 ms, and plays the agent's audio on its clock. A question said into the
call is heard by the server through Pipecat and answered aloud; said again over the answer,
it makes Pipecat send ``clear``.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from tests.foreign.drivers import framework_python, server_counts, watch_server_log
from tests.helpers import until
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.audio.files import read_wav
from voicechat.phone.twilio.media_stream import FRAME_BYTES, Cleared, Event, MediaStream
from voicechat.phone.twilio.signature import TEST_AUTH_TOKEN
from voicechat.phone.twilio.twiml import Say, Stream
from voicechat.phone.twilio.webhook import Call
from voicechat.rtc import dsp
from voicechat.server.app import LocalServer
from voicechat.transport.twilio.dial import connect, ring
from voicechat.transport.twilio.stream_call import StreamCall

pytestmark = pytest.mark.slow

AGENT = Path(__file__).with_name("pipecat_twilio_agent.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def pipecat_phone_agent(server: LocalServer) -> AsyncIterator[str]:
    """The agent listening on 127.0.0.1; yields its webhook's URL."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        str(framework_python(".venv-pipecat")), str(AGENT), f"{server.ws_url}/realtime",
        str(port), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if line.strip() != b"ready":
            _, err = await proc.communicate()
            pytest.fail(f"the Pipecat phone agent did not start:\n{err.decode()[-4000:]}")
        yield f"http://127.0.0.1:{port}/incoming-call"
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def mulaw_8k(wav: Path) -> bytes:
    pcm, rate = read_wav(wav)
    return dsp.ulaw_encode(dsp.resample(pcm, rate, 8000))


class Caller:
    """What the caller says, 20 ms a tick: nothing until :meth:`say`, then the words."""

    def __init__(self) -> None:
        self.words = b""

    def say(self, mulaw: bytes) -> None:
        self.words += mulaw

    def __call__(self) -> bytes:
        frame, self.words = self.words[:FRAME_BYTES], self.words[FRAME_BYTES:]
        return frame


def loud(mulaw: bytes) -> bool:
    return bool(mulaw) and float(np.abs(dsp.ulaw_decode(mulaw)).max()) > 1000


async def test_a_pipecat_phone_agent_answers_a_spoken_question_and_clears_when_interrupted(
        server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    watch_server_log(caplog)
    question = mulaw_8k(speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], tail_s=0.8))
    caller = Caller()
    heard: list[tuple[float, bytes]] = []
    events: list[tuple[float, Event]] = []
    call = Call.new()
    async with pipecat_phone_agent(server) as hook, aiohttp.ClientSession() as http:
        twiml = await ring(http, hook, call, auth_token=TEST_AUTH_TOKEN)
        say, stream = twiml.steps
        assert say == Say("Connecting you to the assistant")
        assert isinstance(stream, Stream) and stream.parameters == (("source", "pipecat"),)
        phone = StreamCall(await connect(http, stream, auth_token=TEST_AUTH_TOKEN),
                           MediaStream(call, stream), caller=caller,
                           hear=lambda audio, now: heard.append((now, audio)),
                           on_event=lambda e: events.append((time.monotonic(), e)))
        talking = asyncio.create_task(phone.run())
        try:
            await asyncio.sleep(1.0)  # a second of the line's silence, then the question
            caller.say(question)
            # the answer, "You said: …" in the local server's tone voice, is played on the
            # call's clock: half a second of it, then the caller speaks over it
            await until(lambda: loud_s(heard) >= 0.5, lambda: f"half a second of the "
                        f"agent's answer (heard {loud_s(heard):.2f} s)", timeout=60)
            over = time.monotonic()
            caller.say(question)
            await until(lambda: [e for t, e in events if t > over and isinstance(e, Cleared)],
                        lambda: f"Pipecat's clear after the caller spoke over the answer; "
                                f"events {events[-5:]}", timeout=60)
        finally:
            phone.hang_up()
            await asyncio.wait_for(talking, 30)
    cleared = [e for t, e in events if t > over and isinstance(e, Cleared)]
    played = loud_s(heard)
    print(f"\nPipecat phone agent: {played:.2f} s of its answer played before the clear; "
          f"{cleared[0].dropped_ms:.0f} ms dropped", file=sys.stderr)
    # the clear cut the answer: queued audio was dropped, or nothing more of it was sent
    answer_s = 1 + len(f"You said: {TEST_PHRASES[0]}") * 0.05  # (well under its real length)
    assert cleared[0].dropped_ms > 0 or played < answer_s, (played, cleared)
    # the model behind Pipecat heard the caller: the server's VAD committed the spoken turns
    # (through Pipecat's 8 kHz to 24 kHz path) and answered them
    counts = await server_counts(caplog)
    assert counts["commits"] >= 1 and counts["responses"] >= 1 and counts["errors"] == 0, counts


def loud_s(heard: list[tuple[float, bytes]]) -> float:
    """Seconds of the agent's audio heard, from its first loud frame on."""
    loud_at = next((i for i, (_, audio) in enumerate(heard) if loud(audio)), None)
    return 0.0 if loud_at is None else sum(len(a) for _, a in heard[loud_at:]) / 8000
