"""The linear ear (issue 38): Speex's linear-only canceller as the barge-in detector's second ear.

Real libspeexdsp on the synthetic room (echo_signals.py: espeak speech, 50 ms, -6 dB, a
reverberant tail): the echo alone leaves a residual well under the echo; a voice under the
echo stands in the residual at its own level (a linear canceller suppresses nothing), and the
stage reports that residual per 10 ms frame next to AEC3's figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.audio.echo_signals import RATE, bursty_run, db, scene
from tests.conftest import require_or_skip
from voicechat.audio.echo import AecOptions, AecUnavailable, EchoCanceller
from voicechat.audio.echo import linear as linear_module
from voicechat.audio.echo.linear import LinearEcho, LinearUnavailable

LIN_RATE = 16000
FRAME = LIN_RATE // 100


def _speexdsp() -> None:
    try:
        linear_module.load_speexdsp()
    except LinearUnavailable as exc:
        require_or_skip(False, str(exc))


def cancel(mic: np.ndarray, far: np.ndarray) -> np.ndarray:
    ear = LinearEcho(LIN_RATE, filter_ms=250)
    out = np.zeros(mic.size)
    for i in range(0, mic.size - FRAME + 1, FRAME):
        out[i:i + FRAME] = ear.process(mic[i:i + FRAME], far[i:i + FRAME])
    ear.close()
    return out


def test_the_echo_alone_leaves_a_low_residual() -> None:
    _speexdsp()
    sc = scene(8.0, rate=LIN_RATE)
    out = cancel(sc.mic, sc.far)
    late = slice(4 * LIN_RATE, 8 * LIN_RATE)  # converged
    assert db(out[late], sc.echo[late]) < -15.0


def test_a_voice_under_the_echo_stands_in_the_residual() -> None:
    """The voice 6 dB under the echo: the residual keeps it (within a few dB of the voice
    itself), and stands well over what the echo alone leaves."""
    _speexdsp()
    alone = scene(8.0, rate=LIN_RATE)
    sc = scene(8.0, rate=LIN_RATE, near_at_s=5.0, near_gain=0.5)
    span = slice(5 * LIN_RATE, int(6.5 * LIN_RATE))
    assert db(sc.near[span], sc.echo[span]) < -3.0  # the voice is under the echo
    out = cancel(sc.mic, sc.far)
    echo_left = cancel(alone.mic, alone.far)
    assert abs(db(out[span], sc.near[span])) < 3.0
    assert db(out[span], echo_left[span]) > 12.0


def run_stage(aec: EchoCanceller, mic: np.ndarray, far: np.ndarray) -> list[tuple]:
    evidence: list[tuple] = []
    block = 960
    for i in range(0, far.size - block + 1, block):
        aec.process_far(far[i:i + block])
        aec.process_near(mic[i:i + block])
        evidence += aec.take_evidence()
    return evidence


def _stage(**options: object) -> EchoCanceller:
    try:
        return EchoCanceller(options=AecOptions(**options))  # type: ignore[arg-type]
    except AecUnavailable as exc:
        require_or_skip(False, str(exc))
        raise


def test_the_stage_reports_the_linear_residual_per_frame() -> None:
    """The fourth figure of each 10 ms frame's evidence: over the voice it stands well over
    what it was over the echo alone; the fifth is the mic as the ear heard it."""
    _speexdsp()
    sc = scene(8.0, rate=RATE, near_at_s=5.0, near_gain=0.5)
    evidence = run_stage(_stage(), sc.mic, sc.far)
    assert len(evidence) == sc.far.size // (RATE // 100)
    assert all(e[3] is None for e in evidence[:2])  # the ear runs 20 ms behind the mic
    linear = np.array([e[3] for e in evidence[2:]], dtype=np.float64)
    echo_only = linear[298:478]  # 3-4.8 s: converged, nobody talking
    voice = linear[508:638]  # the user's phrase
    assert 10 * np.log10(voice.mean() / echo_only.mean()) > 10.0


def test_without_the_library_the_stage_runs_without_the_ear(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linear_module, "_lib", None)
    monkeypatch.setattr(linear_module, "LIBRARY_NAMES", ("libno-such-speexdsp.so.9",))
    monkeypatch.setattr(linear_module.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(LinearUnavailable, match="libspeexdsp1"):
        linear_module.load_speexdsp()
    aec = _stage()
    assert aec.linear_unavailable is not None and "libspeexdsp" in aec.linear_unavailable
    sc = scene(1.0, rate=RATE)
    assert all(e[3] is None for e in run_stage(aec, sc.mic, sc.far))


def test_the_ear_can_be_switched_off() -> None:
    aec = _stage(linear_filter_ms=0)
    sc = scene(1.0, rate=RATE)
    assert all(e[3] is None for e in run_stage(aec, sc.mic, sc.far))
    assert aec.linear_unavailable is None


@pytest.mark.parametrize("stamped", [True, False])
def test_bursty_speaker_callbacks_keep_the_linear_ear_converged(stamped: bool) -> None:
    """The speaker's blocks come in bursts and varying sizes, 20-120 ms ahead of the mic (as
    in test_aec.py): the ear's reference, taken at the mic's stream time, never falls behind
    the echo, so what it leaves of the echo alone stays well under the mic."""
    _speexdsp()
    sc = scene(10.0, rate=RATE)
    aec = _stage()
    evidence: list[tuple] = []
    for _ in bursty_run(aec, sc, stamped=stamped):
        evidence += aec.take_evidence()
    settled = evidence[500:]
    mic = sum(e[4] for e in settled)
    left = sum(e[3] for e in settled)
    assert 10 * np.log10(mic / left) > 15.0


def test_an_echo_later_than_the_filter_is_brought_into_it() -> None:
    """A sound server's 200 ms (issue 53's grid): past the filter's reach the ear used to say
    nothing; now its reference is held back by a bulk delay that puts the echo 30 ms into the
    filter, and it cancels the echo as it does a short one."""
    _speexdsp()
    sc = scene(10.0, rate=RATE, delay_ms=200.0)
    aec = _stage()
    evidence = run_stage(aec, sc.mic, sc.far)
    assert 160 <= aec.linear_bulk_ms <= 180
    settled = [e for e in evidence[500:] if e[3] is not None]
    assert len(settled) >= 0.9 * len(evidence[500:])
    assert 10 * np.log10(sum(e[4] for e in settled) / sum(e[3] for e in settled)) > 15.0


def _linear_erle_db(evidence: list[tuple], frames: slice) -> float:
    """What the linear ear took out of the mic over ``frames`` (frames with a reference)."""
    taken = [e for e in evidence[frames] if e[3] is not None and e[0] > 1e4]
    return float(10 * np.log10(sum(e[4] for e in taken) / max(sum(e[3] for e in taken), 1.0)))


@pytest.mark.parametrize("ppm", [300.0, -300.0, 100.0])
def test_a_skewed_clock_is_followed_and_the_ear_cancels_again(ppm: float) -> None:
    """Issue 53's skew cells: a mic whose clock runs ``ppm`` off the speaker's hears an echo
    whose delay moves 0.1-0.3 ms a second, which the Speex filter cannot hold (3-9 dB taken
    out, measured here with the warp off). The stage measures the skew from its delay
    estimates and warps the ear's reference onto the mic's clock: the ear converges as on a
    fixed path (over 30 dB by the end, measured 39-45 dB)."""
    _speexdsp()
    sc = scene(20.0, rate=RATE, delay_ms=60.0 if ppm < 0 else 30.0, skew_ppm=ppm)
    followed, ignored = _stage(), _stage(follow_drift=False)
    on, off = [], []
    for _ in bursty_run(followed, sc, stamped=True):
        on += followed.take_evidence()
    for _ in bursty_run(ignored, sc, stamped=True):
        off += ignored.take_evidence()
    assert followed.metrics.drift_ppm == pytest.approx(ppm, abs=15.0)
    assert followed.warp_starts == 1
    assert ignored.warp_starts == 0  # measured all the same, never warped
    late = slice(1500, 2000)
    assert _linear_erle_db(on, late) > 30.0
    assert _linear_erle_db(off, late) < 12.0


def test_a_fixed_path_is_never_warped() -> None:
    """No skew, no warp: the ear hears the reference as played (its figures are the same as
    with the warp switched off, frame for frame)."""
    _speexdsp()
    sc = scene(12.0, rate=RATE)
    followed, ignored = _stage(), _stage(follow_drift=False)
    on = run_stage(followed, sc.mic, sc.far)
    off = run_stage(ignored, sc.mic, sc.far)
    assert followed.metrics.drift_ppm is None and followed.warp_starts == 0
    assert [e[3] for e in on] == [e[3] for e in off]


def test_a_voice_under_a_skewed_echo_stands_in_the_residual() -> None:
    """What the warp is for: on a 300 ppm path a voice 6 dB under the echo stands in the
    linear ear's residual well over what the echo alone leaves there, as on a fixed path."""
    _speexdsp()
    alone = scene(20.0, rate=RATE, skew_ppm=300.0)
    sc = scene(20.0, rate=RATE, skew_ppm=300.0, near_at_s=16.0, near_gain=0.5)
    span = slice(16 * RATE, int(17.5 * RATE))
    assert db(sc.near[span], sc.echo[span]) < -3.0
    heard = {}
    for name, s in (("alone", alone), ("voice", sc)):
        aec = _stage()
        evidence: list[tuple] = []
        for _ in bursty_run(aec, s, stamped=True):
            evidence += aec.take_evidence()
        heard[name] = np.array([e[3] or 0.0 for e in evidence[1600:1750]])
    assert 10 * np.log10(heard["voice"].mean() / heard["alone"].mean()) > 12.0
