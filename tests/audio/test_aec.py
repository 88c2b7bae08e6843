"""The echo-cancelling stage on synthetic rooms: how much echo goes, what of the user stays.

The signals are espeak speech through a simulated loudspeaker-to-mic path (50 ms, -6 dB, a
reverberant tail; see echo_signals.py). The figures asserted are the ones issue 10 asks for:
at least 30 dB of echo removed once the canceller has converged, and the user's voice kept
(within a few dB) while the assistant is talking.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from tests.audio.echo_signals import (
    RATE,
    EchoScene,
    bursty_run,
    db,
    far_speech,
    room_response,
    scene,
    through_room,
)
from voicechat.audio.echo import AecOptions, AecUnavailable, EchoCanceller
from voicechat.audio.echo import engine as engine_module
from voicechat.rtc import dsp

BLOCK = 960  # 20 ms at 48 kHz: the mic's and the speaker's block size in the client


def run(
    aec: EchoCanceller,
    sc: EchoScene,
    far_blocks: Callable[[int, int], list[npt.NDArray[np.int16]]] | None = None,
) -> npt.NDArray[np.float64]:
    """Play the scene through ``aec`` block by block (speaker first, then mic, as in real time)."""
    out = np.zeros(sc.far.size)
    for i in range(0, sc.far.size - BLOCK + 1, BLOCK):
        blocks = far_blocks(i, i + BLOCK) if far_blocks else [sc.far[i : i + BLOCK]]
        for block in blocks:
            aec.process_far(block)
        cleaned = aec.process_near(sc.mic[i : i + BLOCK])
        assert cleaned.shape == (BLOCK,)
        out[i : i + BLOCK] = cleaned
    return out


def best_corr(x: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], max_lag: int) -> float:
    """Largest Pearson coefficient of ``x`` against ``ref`` delayed by 0..max_lag samples."""
    n = ref.size - max_lag
    return max(float(np.corrcoef(x[lag : lag + n], ref[:n])[0, 1]) for lag in range(0, max_lag, 8))


@pytest.fixture(scope="module")
def talk() -> EchoScene:
    return scene(10.0)


def test_removes_30_db_of_echo_after_convergence(talk: EchoScene) -> None:
    aec = EchoCanceller()
    out = run(aec, talk)
    settled = slice(4 * RATE, 10 * RATE)
    assert db(talk.echo[settled], out[settled]) >= 30.0
    m = aec.metrics
    assert m.erle_db is not None and m.erle_db >= 30.0, m
    assert m.added_latency_ms == 0.0  # 20 ms blocks are whole APM frames: no re-blocking delay
    assert not m.echo_leaking


def test_keeps_the_user_talking_over_the_assistant() -> None:
    sc = scene(12.0, near_at_s=8.0)
    out = run(EchoCanceller(), sc)
    voice = np.flatnonzero(sc.near)
    talking = slice(int(voice[0]), int(voice[-1]))
    # the user's voice is about as loud as the echo here (0 dB signal-to-echo)
    assert abs(db(sc.near[talking], sc.echo[talking])) < 3.0
    kept = db(out[talking], sc.near[talking])
    assert -6.0 <= kept <= 2.0, kept
    # what is left is the user, not the assistant (the APM delays its output by a few ms)
    near_corr = best_corr(out[talking], sc.near[talking], max_lag=RATE // 50)
    echo_corr = best_corr(out[talking], sc.echo[talking], max_lag=RATE // 50)
    assert near_corr >= 0.5 and near_corr > 3 * abs(echo_corr), (near_corr, echo_corr)
    before = slice(4 * RATE, 8 * RATE)
    assert db(sc.echo[before], out[before]) >= 30.0


@pytest.mark.parametrize("delay_ms", [30.0, 120.0])
def test_estimates_the_stream_delay(delay_ms: float) -> None:
    sc = scene(6.0, delay_ms=delay_ms)
    aec = EchoCanceller()
    run(aec, sc)
    estimate = aec.metrics.delay_ms
    assert estimate is not None and abs(estimate - delay_ms) <= 2.0, estimate


@pytest.mark.parametrize(("before_ms", "after_ms"), [(50.0, 150.0), (50.0, 250.0), (250.0, 50.0)])
def test_follows_a_delay_jump_and_cancels_again(before_ms: float, after_ms: float) -> None:
    """An underrun makes the sound server re-buffer: the echo suddenly arrives 100-200 ms later
    (or, once the buffer drains, earlier). Measured in audio time (deterministic): the estimate
    moves within 0.75-1 s and the echo is 25 dB down again 1.5-2.25 s after the jump; asserted
    with margin: 30 dB from 2.5 s after the jump on."""
    far = far_speech(12.0)
    f = far.astype(np.float64)
    cut = 6 * RATE
    echo = np.concatenate([through_room(f, room_response(before_ms, -6.0))[:cut],
                           through_room(f, room_response(after_ms, -6.0))[cut : f.size]])
    noise = np.random.default_rng(2).standard_normal(f.size) * 3.0
    mic = np.clip(np.rint(echo + noise), -32768, 32767).astype(np.int16)
    sc = EchoScene(far=far, echo=echo, near=np.zeros(f.size), mic=mic, rate=RATE)
    aec = EchoCanceller()
    out = run(aec, sc)
    assert db(echo[4 * RATE : cut], out[4 * RATE : cut]) >= 30.0
    recovered = cut + int(2.5 * RATE)
    assert db(echo[recovered:], out[recovered:]) >= 30.0
    m = aec.metrics
    assert m.delay_ms is not None and abs(m.delay_ms - after_ms) <= 2.0, m
    # the reference is held back by the delay minus 30 ms, in whole 10 ms frames (a move of one
    # frame is left alone: each move makes AEC3 re-adapt), never by more than the delay
    assert after_ms - 40 <= m.reference_lag_ms <= after_ms - 20, m


def test_speaker_at_44k1_stereo_and_odd_block_sizes(talk: EchoScene) -> None:
    """A speaker that refused 48 kHz plays 44.1 kHz stereo in 441-sample blocks; the mic stays
    48 kHz mono. The stage downmixes and resamples the reference itself."""
    far44 = dsp.resample(talk.far, RATE, 44100)

    def blocks(start: int, end: int) -> list[npt.NDArray[np.int16]]:
        a, b = start * 44100 // RATE, end * 44100 // RATE
        pcm = dsp.mono_to_stereo(far44[a:b])  # interleaved L R L R
        return [pcm[j : j + 882] for j in range(0, pcm.size, 882)]

    aec = EchoCanceller(far_rate=44100, far_channels=2)
    out = run(aec, talk, blocks)
    settled = slice(4 * RATE, 10 * RATE)
    assert db(talk.echo[settled], out[settled]) >= 30.0
    # the delay is the one the canceller sees: re-blocking 44.1 kHz into 48 kHz frames holds the
    # reference back by up to one 10 ms frame, so the mic looks that much less late
    assert aec.metrics.delay_ms is not None and 39.0 <= aec.metrics.delay_ms <= 52.0


def test_mic_at_16k_stereo_keeps_its_shape_and_loses_the_echo() -> None:
    sc = scene(8.0)
    mic16 = dsp.resample(sc.mic, RATE, 16000)
    echo16 = dsp.resample(np.clip(sc.echo, -32768, 32767), RATE, 16000).astype(np.float64)
    aec = EchoCanceller(near_rate=16000, near_channels=2)
    out = np.zeros(mic16.size)
    for i in range(0, mic16.size - 320 + 1, 320):  # 20 ms at 16 kHz
        aec.process_far(sc.far[i * 3 : (i + 320) * 3])
        block = np.repeat(mic16[i : i + 320], 2).reshape(320, 2)  # (frames, channels)
        cleaned = aec.process_near(block)
        assert cleaned.shape == (320, 2)
        out[i : i + 320] = cleaned[:, 0]
    settled = slice(4 * 16000, 8 * 16000)
    assert db(echo16[settled], out[settled]) >= 30.0


def test_blocks_that_are_not_whole_frames_cost_under_one_frame_of_latency(
    talk: EchoScene,
) -> None:
    aec = EchoCanceller()
    sizes = [336, 700, 1024]  # 7, 14.6, 21.3 ms
    i = k = 0
    out = []
    while i + 1024 <= talk.far.size // 2:
        n = sizes[k % 3]
        aec.process_far(talk.far[i : i + n])
        cleaned = aec.process_near(talk.mic[i : i + n])
        assert cleaned.size == n
        out.append(cleaned)
        i, k = i + n, k + 1
    assert 0.0 < aec.metrics.added_latency_ms < 10.0
    cleaned_all = np.concatenate(out).astype(np.float64)
    lag = round(aec.metrics.added_latency_ms * RATE / 1000)
    settled = slice(3 * RATE, 5 * RATE - lag)
    shifted = cleaned_all[lag:]
    assert db(talk.echo[settled], shifted[settled]) >= 30.0


def test_noise_suppression_and_high_pass_are_options(talk: EchoScene) -> None:
    for options in (
        AecOptions(noise_suppression=True, high_pass_filter=True),
        AecOptions(noise_suppression=False, high_pass_filter=False),
    ):
        out = run(EchoCanceller(options=options), talk)
        settled = slice(4 * RATE, 10 * RATE)
        assert db(talk.echo[settled], out[settled]) >= 30.0, options


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "livekit.rtc", None)  # `import livekit.rtc` now fails
    with pytest.raises(AecUnavailable) as err:
        EchoCanceller()
    assert "pip install 'livekit" in str(err.value)
    assert "muted while the assistant speaks" in str(err.value)


def test_a_broken_native_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> object:
        raise OSError(f"{name}: liblivekit_ffi.so: cannot open shared object file")

    monkeypatch.setattr(engine_module, "import_module", broken)
    with pytest.raises(AecUnavailable, match=r"liblivekit_ffi\.so"):
        EchoCanceller()


def test_an_apm_the_library_refuses_to_build_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refusing:
        def __init__(self, **_: object) -> None:
            raise RuntimeError("ffi: failed to create apm")

    class FakeRtc:
        AudioProcessingModule = Refusing

    monkeypatch.setattr(engine_module, "import_module", lambda name: FakeRtc)
    with pytest.raises(AecUnavailable, match="failed to create apm"):
        EchoCanceller()


@pytest.mark.parametrize("stamped", [True, False])
def test_bursty_speaker_callbacks_do_not_move_the_alignment(
    talk: EchoScene, stamped: bool
) -> None:
    """The sound server asks for speaker blocks in bursts and in varying sizes: 20-120 ms ahead
    of the mic, 10-40 ms at a time. The reference is lined up by stream time (PortAudio's
    timestamps, with a little jitter, or sample counts alone), so where the callbacks fall
    does not matter: the echo stays 30 dB down after convergence."""
    aec = EchoCanceller()
    out = np.zeros(talk.far.size)
    for i, cleaned in bursty_run(aec, talk, stamped=stamped, block=BLOCK):
        out[i : i + BLOCK] = cleaned
    settled = slice(4 * RATE, 10 * RATE)
    assert db(talk.echo[settled], out[settled]) >= 30.0
    m = aec.metrics
    assert m.timestamped is stamped
    assert m.delay_ms is not None and abs(m.delay_ms - 50.0) <= 3.0, m


def test_a_speaker_that_stops_is_heard_as_silence_not_as_its_last_words() -> None:
    """Through the ALSA ``pulse`` plugin one underrun stops the speaker's callbacks for 1.5-2 s.
    What the DAC played then was silence, and the canceller must be told so: fed nothing, AEC3
    kept cancelling against the answer's last syllable and took the user's next question for
    echo (22 of 82 speech blocks got through, the transcript came out empty). Here the
    assistant talks for 3 s, its stream stops dead, and the user speaks 0.5 s later: the
    user's voice comes through within 3 dB."""
    from tests.speech import speech_pcm

    talk_s, total_s = 3.0, 7.0
    far = far_speech(talk_s)
    echo = through_room(far, room_response(50.0, -6.0))[: far.size]
    near = np.zeros(int(total_s * RATE))
    voice = speech_pcm("what is the weather like tomorrow").astype(np.float64)
    start = int((talk_s + 0.5) * RATE)
    near[start : start + voice.size] = voice[: near.size - start]
    mic_f = near.copy()
    mic_f[: echo.size] += echo
    mic = np.clip(np.rint(mic_f), -32768, 32767).astype(np.int16)
    aec = EchoCanceller()
    out = np.zeros(near.size)
    far_pos = 0
    for i in range(0, near.size - BLOCK + 1, BLOCK):
        while far_pos < min(i + int(0.06 * RATE), far.size):  # 60 ms ahead, until it stops
            aec.process_far(far[far_pos : far_pos + BLOCK], far_pos / RATE)
            far_pos += BLOCK
        out[i : i + BLOCK] = aec.process_near(mic[i : i + BLOCK], i / RATE)
    spoken = slice(start, start + voice.size)
    assert db(out[spoken], near[spoken]) >= -3.0, db(out[spoken], near[spoken])
    assert db(echo[2 * RATE : 3 * RATE], out[2 * RATE : 3 * RATE]) >= 20.0  # still cancelling
    assert aec.metrics.far_gaps_ms >= 3500, aec.metrics
