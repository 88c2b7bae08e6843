"""Real devices: the two-turn conversation through sounddevice and the private PulseAudio daemon.

The WAV is played into the virtual mic (``paplay --device=micfeed``), the app captures it from the
default source through PortAudio → ALSA ``pulse`` plugin, and whatever the app plays on the default
sink is recorded from ``speaker.monitor`` with ``parecord``. Skips only when ``pactl info`` fails.
"""

from __future__ import annotations

import asyncio
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.audio.conftest import restart_pulse
from tests.commands.test_headless_runs import audible_ms
from tests.realtime import in_real_time_async
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.lines.realtime import RunEnd
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer

pytestmark = [pytest.mark.audio, pytest.mark.slow]


async def mic_back_after_playback(records: list[LogRecord], answers: int) -> None:
    """Until the mic has come back after the playback of ``answers`` answers muted it."""
    while True:
        mic = [(r.event["type"], r.event.get("reason")) for r in records
               if r.event["type"] in ("local.mic.muted", "local.mic.unmuted")]
        muted = [i for i, m in enumerate(mic) if m == ("local.mic.muted", "playback")]
        if len(muted) >= answers and ("local.mic.unmuted", None) in mic[muted[answers - 1]:]:
            return
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_two_turns_through_sound_devices(
    pulse: None, server: LocalServer, tmp_path: Path, transport: str
) -> None:
    """Two questions, each asked once the last answer has played, the way a person takes turns.

    Over WebSocket the mic hands over each 100 ms append's frames in one wake-up (between
    answers); the same turns must come through.

    Why the second question waits for the mic: barge-in is off, so the mic is muted while an
    answer plays. Played as one WAV with a fixed 4 s gap, the second question raced the first
    answer: on a starved machine (a CI run; here, with both cores stalled 40 % of the time)
    recognition took 2 s, the answer played over the question's first second and the turn was
    heard as one or two fragments with empty transcripts. Stalls that long still cut a question
    into pieces now and then, so the turns run under the stall probe (tests/realtime.py).
    """
    questions = [speech_wav(tmp_path / f"question{n}.wav", [phrase], lead_s=0.3, tail_s=1.0)
                 for n, phrase in enumerate(TEST_PHRASES[:2])]

    async def attempt(n: int) -> None:
        await two_turns(server, questions, tmp_path / f"speaker{n}.wav", transport)

    await in_real_time_async(attempt, reset=restart_pulse)


async def two_turns(
    server: LocalServer, questions: list[Path], recorded: Path, transport: str
) -> None:
    """Ask ``questions`` through the virtual mic, record the speaker, check the two turns."""
    from voicechat.audio.devices import DeviceSink, DeviceSource
    from voicechat.server.voice.tts import make_voice

    recorder = subprocess.Popen(
        ["parecord", "--device=speaker.monitor", "--rate=48000", "--channels=1",
         "--format=s16le", "--file-format=wav", str(recorded)]
    )
    records: list[LogRecord] = []
    try:
        # Barge-in off, so the mic is muted while an answer plays (with echo cancellation running,
        # barge-in would otherwise be on).
        settings = Settings(server="local", turns=2, local_voice="tone", barge_in=False,
                            transport=transport)
        runtime = Runtime(settings, local_server=server)
        runtime.subscribe(records.append)
        await runtime.start()
        ends = asyncio.ensure_future(RunEnd(runtime, settings.turns).watch())
        try:
            assert isinstance(runtime.mic, DeviceSource)
            assert isinstance(runtime.speaker, DeviceSink)
            await asyncio.sleep(0.3)  # the input stream is running before the WAV starts
            for n, question in enumerate(questions):
                if n:  # the last answer has played and the mic is live again
                    await asyncio.wait_for(mic_back_after_playback(records, n), timeout=60)
                feeder = await asyncio.create_subprocess_exec(
                    "paplay", "--device=micfeed", str(question)
                )
                assert await asyncio.wait_for(feeder.wait(), timeout=30) == 0
            await asyncio.wait_for(ends, timeout=60)
        finally:
            ends.cancel()
            await runtime.stop()
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    kinds = [r.event["type"] for r in records]
    done = [r.event for r in records if r.event["type"] == "response.done"]
    assert [e["response"]["status"] for e in done] == ["completed", "completed"], kinds[-30:]
    transcripts = [r.event["transcript"] for r in records
                   if r.event["type"] == "conversation.item.input_audio_transcription.completed"]
    assert [t.lower().rstrip(".?") for t in transcripts] == [
        p.lower().rstrip(".?") for p in TEST_PHRASES[:2]
    ]
    replies = [r.event["transcript"] for r in records
               if r.event["type"] == "response.output_audio_transcript.done"]
    voice = make_voice("tone")
    expected = sum(audible_ms(voice.synthesize(t), voice.sample_rate) for t in replies)
    with wave.open(str(recorded), "rb") as wav:
        heard_pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        heard = audible_ms(heard_pcm, wav.getframerate())
    assert 0.8 * expected <= heard <= 1.25 * expected, (heard, expected)


async def test_speaker_opens_for_low_latency_by_default(pulse: None) -> None:
    """The default speaker stream asks PortAudio for less buffering than sounddevice's default
    ("high", 20 ms blocks: what the client opened before), and the old way stays available."""
    from voicechat.audio.devices import DeviceSink
    from voicechat.audio.playback import PlaybackBuffer

    default = DeviceSink(PlaybackBuffer())
    before = DeviceSink(PlaybackBuffer(), latency="high", block_ms=20)
    try:
        await default.start()
        await before.start()
        assert default.output_latency_ms is not None and before.output_latency_ms is not None
        assert default.output_latency_ms < before.output_latency_ms
    finally:
        await default.stop()
        await before.stop()


async def test_device_mic_hands_over_frames_per_wakeup_together(pulse: None) -> None:
    """The real mic (PortAudio on the private PulseAudio daemon) asked for 5 frames per wake-up:
    whole 20 ms frames keep coming, most of them several to one event-loop wake-up (the loop is
    poked once 5 blocks wait, not per block); back at 1, each frame is a wake-up of its own."""
    from voicechat.audio.devices import DeviceSource
    from voicechat.audio.files import FRAME

    loop = asyncio.get_running_loop()
    source = DeviceSource()
    woke = {"batched": 0, "single": 0}
    stepped = [True]

    def step() -> None:
        stepped[0] = True

    try:
        count = 0
        async for frame in source.frames():
            assert frame.size == FRAME
            mode = "batched" if count < 100 else "single"
            if stepped[0]:  # the loop ran between this frame and the last: a new wake-up
                woke[mode] += 1
            stepped[0] = False
            loop.call_soon(step)
            count += 1
            source.frames_per_wakeup = 5 if count < 100 else 1
            if count == 150:
                break
    finally:
        source.close()
    assert source.rate == 48000
    assert woke["batched"] <= 40, woke  # ~20: one per 5 frames (fewer when the loop lags)
    assert woke["single"] >= 10, woke  # ~50 (fewer only when the loop lags behind the mic)
