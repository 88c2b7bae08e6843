"""Acceptance: the official SDK's live client (openai-python 3.52.0, ``client.live.connect()``)
completes a spoken turn against the local server with no change but its base URL.

It streams a WAV of speech (one of the recogniser's test phrases, espeak-ng) followed by
silence, at real time, as ``session.input_audio.append`` events, and receives the input
transcript, the output transcript and the assistant's audio, every event parsed by the SDK
into its typed models.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import wave
from pathlib import Path
from typing import Any

import numpy as np
from openai import AsyncOpenAI

from tests.speech import TEST_PHRASES, speech_wav
from voicechat.rtc.dsp import resample
from voicechat.server.app import LocalServer


def wav_pcm24k(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return resample(pcm, rate, 24000)


async def test_sdk_live_client_completes_a_spoken_turn(server: LocalServer,
                                                       tmp_path: Path) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=f"{server.base_url}/v1")
    pcm = wav_pcm24k(speech_wav(tmp_path / "question.wav", TEST_PHRASES[:1], rate=48000,
                                tail_s=2.0))
    events: list[Any] = []
    async with client.live.connect() as conn:
        await conn.session.start(session={"model": "gpt-live-1",
                                           "audio": {"output": {"voice": "marin"}}})
        started = await asyncio.wait_for(conn.recv(), 10)
        assert started.type == "session.started"

        async def mic() -> None:
            step = 2400  # 100 ms
            for i in range(0, pcm.size, step):
                chunk = pcm[i: i + step].astype("<i2").tobytes()
                await conn.session.input_audio.append(audio=base64.b64encode(chunk).decode())
                await asyncio.sleep(0.1)
            silence = base64.b64encode(bytes(4800)).decode()
            while True:  # the mic keeps streaming, silence included
                await conn.session.input_audio.append(audio=silence)
                await asyncio.sleep(0.1)

        streaming = asyncio.ensure_future(mic())

        async def listen() -> None:
            # the output stream is continuous (silence between utterances): wait for the whole
            # answer's transcript and for audio that is not silence
            voiced = False
            async for event in conn:
                events.append(event)
                if event.type == "session.output_audio.delta":
                    voiced = voiced or bool(np.abs(np.frombuffer(
                        base64.b64decode(event.delta), "<i2")).max() > 1000)
                said = "".join(e.delta for e in events
                               if e.type == "session.output_transcript.delta")
                if voiced and said.endswith("lights."):
                    return

        try:
            await asyncio.wait_for(listen(), 30)
        finally:
            streaming.cancel()
        await conn.session.close()
        closed = await asyncio.wait_for(_next_of(conn, "session.closed"), 10)
    heard = "".join(e.delta for e in events if e.type == "session.input_transcript.delta")
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    assert heard.strip() == TEST_PHRASES[0]
    assert said.startswith("You said:")
    audio = b"".join(base64.b64decode(e.delta) for e in events
                     if e.type == "session.output_audio.delta")
    assert np.abs(np.frombuffer(audio, "<i2")).max() > 1000  # speech, not silence
    assert closed.reason == "close_requested" and closed.usage.seconds > 0


async def _next_of(conn: Any, kind: str) -> Any:
    async for event in conn:
        if event.type == kind:
            return event
    raise AssertionError(f"the connection ended before {kind}")


async def test_sdk_live_client_against_the_voicechat_serve_command(tmp_path: Path) -> None:
    """The same, against ``voicechat serve`` as users run it (its own process, the recogniser
    in a worker process, open vocabulary: the words may differ, a turn must happen)."""
    from tests.runtime.server_process import ServerProcess

    proc = ServerProcess(tmp_path / "serve.log", "--voice", "tone")
    await proc.start()
    try:
        client = AsyncOpenAI(api_key="sk-test", base_url=f"{proc.base_url}/v1")
        pcm = wav_pcm24k(speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], rate=24000,
                                    tail_s=2.0))
        async with client.live.connect() as conn:
            await conn.session.start(session={"model": "gpt-live-1"})
            assert (await asyncio.wait_for(conn.recv(), 10)).type == "session.started"
            for i in range(0, pcm.size, 2400):
                chunk = pcm[i: i + 2400].astype("<i2").tobytes()
                await conn.session.input_audio.append(audio=base64.b64encode(chunk).decode())
                await asyncio.sleep(0.05)
            heard = await asyncio.wait_for(_next_of(conn, "session.input_transcript.delta"), 30)
            said = await asyncio.wait_for(_next_of(conn, "session.output_transcript.delta"), 30)
            audio = await asyncio.wait_for(_next_of(conn, "session.output_audio.delta"), 30)
        assert heard.delta.strip() and said.delta.startswith("You")
        assert base64.b64decode(audio.delta)
    finally:
        await proc.kill(signal.SIGINT)  # the way a user stops it
