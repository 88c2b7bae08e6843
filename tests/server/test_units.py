"""Plain-function tests of the server's building blocks: the paced track, sessions, auth, buffer."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from voicechat.protocol.dialect import Dialect
from voicechat.rtc import tracks
from voicechat.rtc.tracks import FRAME_SAMPLES, PacedAudioTrack
from voicechat.server import sessions
from voicechat.server.auth import TokenStore, credential_from, ttl_from
from voicechat.server.input_buffer import InputBuffer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the delays the track asks for instead of sleeping."""
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(tracks.asyncio, "sleep", fake_sleep)
    return delays


class RecordingEncoder:
    """Hands back the frame the track would encode, with its RTP time."""

    def encode(self, mono: np.ndarray, pts: int) -> tuple[np.ndarray, int]:
        return mono.copy(), pts


async def test_track_frames_pacing_and_counters(no_sleep: list[float]) -> None:
    clock = FakeClock()
    track = PacedAudioTrack(clock=clock, encoder=RecordingEncoder())
    tone = (np.arange(FRAME_SAMPLES * 2 + 100) % 100).astype(np.int16) + 1
    track.push(tone)
    assert track.buffered_samples == tone.size
    played = track.wait_played()

    frames = [await track.recv() for _ in range(3)]
    # frame N is due at start + N * 20 ms: with the clock standing still, the track waits
    assert no_sleep == pytest.approx([0.02, 0.04])
    assert [pts for _, pts in frames] == [0, FRAME_SAMPLES, 2 * FRAME_SAMPLES]
    assert frames[0][0].shape == (FRAME_SAMPLES,)
    assert np.array_equal(frames[0][0], tone[:FRAME_SAMPLES])
    third = frames[2][0]
    assert np.array_equal(third[:100], tone[-100:]) and not third[100:].any()  # silence pad
    assert track.played_total == tone.size and track.buffered_samples == 0
    assert await played is True

    # a frame that leaves late is counted as late, and past 80 ms as an underrun
    clock.now += 0.5
    await track.recv()
    assert track.late_frames == 1 and track.max_lateness_ms == pytest.approx(440.0)
    assert track.underrun_frames == 1


async def test_track_sends_real_opus_at_full_level_on_both_channels() -> None:
    """The default encoder: packets any Opus decoder plays, mono on both channels, no -3 dB."""
    from av import CodecContext

    track = PacedAudioTrack()
    t = np.arange(FRAME_SAMPLES * 10)
    tone = (8000 * np.sin(2 * np.pi * 440 * t / 48000)).astype(np.int16)
    track.push(tone)
    decoder = CodecContext.create("libopus", "r")
    decoder.format, decoder.layout, decoder.sample_rate = "s16", "stereo", 48000
    out = []
    for n in range(10):
        packet = await track.recv()
        assert packet.pts == n * FRAME_SAMPLES and packet.time_base == Fraction(1, 48000)
        out += [f.to_ndarray().reshape(-1, 2) for f in decoder.decode(packet)]
    pcm = np.concatenate(out)[FRAME_SAMPLES:].astype(np.float64)  # past the codec's ramp-up
    assert np.array_equal(pcm[:, 0], pcm[:, 1])
    rms_in = np.sqrt(np.mean(tone.astype(np.float64) ** 2))
    assert 0.8 < np.sqrt(np.mean(pcm[:, 0] ** 2)) / rms_in < 1.2


async def test_live_track_sends_a_whole_frame_as_it_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``early_ms``: a queued frame leaves at once within its window, not on the next tick."""
    clock = FakeClock()
    track = PacedAudioTrack(clock=clock, early_ms=20, encoder=RecordingEncoder())
    track.push(np.ones(FRAME_SAMPLES, np.int16))
    await track.recv()  # the first frame starts the clock
    timers: list[float] = []

    class Timer:
        def cancel(self) -> None:
            pass

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "call_later", lambda delay, cb: timers.append(delay) or Timer())
    pending = asyncio.ensure_future(track.recv())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not pending.done() and timers == pytest.approx([0.02])  # waits for data or its slot
    clock.now += 0.004
    track.push(np.full(FRAME_SAMPLES, 2, np.int16))
    mono, pts = await pending  # released by the push (the slot's timer never fires here)
    assert pts == FRAME_SAMPLES and mono[0] == 2

    # the next slot is 36 ms away: with a frame queued it may leave 20 ms early, never sooner
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(tracks.asyncio, "sleep", fake_sleep)
    track.push(np.full(FRAME_SAMPLES, 3, np.int16))
    mono, pts = await track.recv()
    assert mono[0] == 3 and delays == pytest.approx([0.016])


async def test_live_track_waits_for_the_mic_it_fell_behind_with() -> None:
    """After the process stalled, the live track's late slots wait for the mic's catch-up
    frames instead of going out as silence ahead of them: the request reached the server with
    a gap that server VAD cut it at (a CI run's greeting, issue 77)."""
    clock = FakeClock()
    track = PacedAudioTrack(clock=clock, early_ms=20, encoder=RecordingEncoder())
    track.push(np.full(FRAME_SAMPLES, 1, np.int16))
    await track.recv()  # the first frame starts the clock: the mic is live
    clock.now += 0.2  # the loop stalled: ten slots are due at once, nothing queued yet

    async def five_slots() -> list[tuple[np.ndarray, int]]:
        return [await track.recv() for _ in range(5)]

    sending = asyncio.ensure_future(five_slots())
    await asyncio.sleep(0)  # the track's catch-up runs first, as it did there
    for n in range(2, 7):  # then the mic pump's, in one go
        track.push(np.full(FRAME_SAMPLES, n, np.int16))
    frames = await sending
    assert [int(mono[0]) for mono, _ in frames] == [2, 3, 4, 5, 6]
    assert [pts for _, pts in frames] == [n * FRAME_SAMPLES for n in range(1, 6)]


async def test_a_quiet_live_track_waits_once_then_keeps_its_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mic that stopped sending (muted, held) costs one wait of ``early_ms``; its later
    slots go out as silence on time, so the stream neither stops nor drifts."""
    clock = FakeClock()
    track = PacedAudioTrack(clock=clock, early_ms=20, encoder=RecordingEncoder())
    track.push(np.full(FRAME_SAMPLES, 1, np.int16))
    await track.recv()
    waits: list[float] = []
    loop = asyncio.get_running_loop()
    real_call_later = loop.call_later

    def noted(delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        waits.append(delay)
        return real_call_later(0, callback, *args)  # the wait ends at once here

    monkeypatch.setattr(loop, "call_later", noted)
    frames = []
    for _ in range(4):
        clock.now += 0.025  # each slot has come (a little late), and no frame with it
        frames.append(await track.recv())
    assert all(not mono.any() for mono, _ in frames)
    assert waits == pytest.approx([0.02])  # the first silent slot only


async def test_track_clear_resolves_waiters_as_not_played(no_sleep: list[float]) -> None:
    track = PacedAudioTrack(clock=FakeClock())
    track.push(np.ones(FRAME_SAMPLES * 5, np.int16))
    await track.recv()
    waiter = track.wait_played()
    assert track.clear() == FRAME_SAMPLES * 4
    assert await waiter is False
    assert track.queued_total == track.played_total == FRAME_SAMPLES
    assert await track.wait_played() is True  # nothing queued: resolves at once


def test_session_update_semantics() -> None:
    base = sessions.default_session("gpt-realtime")
    td = base["audio"]["input"]["turn_detection"]
    assert (td["threshold"], td["prefix_padding_ms"], td["silence_duration_ms"]) == (0.5, 300, 200)
    updated = sessions.apply_update(
        base,
        {
            "type": "realtime",
            "instructions": "",
            "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.8}}},
        },
    )
    td = updated["audio"]["input"]["turn_detection"]
    assert td["threshold"] == 0.8 and td["silence_duration_ms"] == 200  # other fields kept
    assert updated["instructions"] == "" and updated["id"] == base["id"]
    assert base["audio"]["input"]["turn_detection"]["threshold"] == 0.5  # input not mutated
    semantic = sessions.apply_update(
        updated, {"audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}}
    )
    assert semantic["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }
    cleared = sessions.apply_update(semantic, {"audio": {"input": {"turn_detection": None}}})
    assert cleared["audio"]["input"]["turn_detection"] is None
    assert sessions.apply_update(base, {"model": "other"})["model"] == "gpt-realtime"


def test_token_store_rules() -> None:
    clock = FakeClock()
    demo = TokenStore(clock=clock)
    token, expires_at = demo.mint({"type": "realtime"}, Dialect.GA, 60)
    assert token.startswith("ek_") and expires_at == 160
    assert demo.check(token).ok and demo.check(token).grant is not None
    assert demo.check("anything").ok and demo.check(None).ok  # loopback demo takes any key
    clock.now += 61
    expired = demo.check(token)
    assert not expired.ok and "expired" in expired.reason

    keyed = TokenStore(api_key="sk-right", clock=clock)
    assert keyed.check("sk-right").ok
    assert not keyed.check("sk-wrong").ok and not keyed.check(None).ok
    assert not keyed.check("ek_unknown").ok
    assert not keyed.check_key("ek_whatever").ok  # minting needs the real key


def test_credential_sources() -> None:
    assert credential_from({"Authorization": "Bearer abc"}, {}) == "abc"
    assert credential_from({"api-key": "az"}, {}) == "az"
    assert credential_from({}, {}, ["realtime", "openai-insecure-api-key.sk-1"]) == "sk-1"
    assert credential_from({}, {"api-key": "q"}) == "q"
    assert credential_from({}, {}) is None
    assert ttl_from({"expires_after": {"anchor": "created_at", "seconds": 30}}, 600) == 30
    assert ttl_from({}, 600) == 600
    assert isinstance(ttl_from({"expires_after": {"seconds": 9}}, 600), str)
    assert ttl_from({"client_secret": {"expires_after": {"seconds": 120}}}, 60) == 120


def test_input_buffer_slices_by_stream_time() -> None:
    buf = InputBuffer()
    audio: Any = np.arange(16000, dtype=np.int16)  # 1 s at 16 kHz
    buf.append(audio[:8000])
    buf.append(audio[8000:])
    assert buf.stream_ms == 1000 and buf.buffered_ms == 1000
    segment = buf.take_range_ms(250, 500)
    assert np.array_equal(segment, audio[4000:8000])
    assert buf.buffered_ms == 500  # everything before the segment's end is gone
    assert np.array_equal(buf.take_all(), audio[8000:])
    assert buf.buffered_ms == 0 and buf.stream_ms == 1000


async def test_wait_played_needs_a_loop() -> None:
    track = PacedAudioTrack()
    assert isinstance(track.wait_played(), asyncio.Future)
