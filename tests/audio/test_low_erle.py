"""The second residual-echo judge: a sustained low ERLE while the assistant talks is a leak.

Echo the canceller cannot remove is not always correlated with the far end at one lag (a
non-linear speaker, a moving path, a reference that slipped), so the correlation judge can miss
it; what it always shows is mic energy the canceller did not take away. A user talking over the
assistant looks the same for a moment, so the guard wants 2 s of it in a row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tests.audio.echo_signals import RATE, far_speech, scene
from voicechat.audio.echo import EchoCanceller
from voicechat.audio.echo.erle import LowErleGuard

FRAME = RATE // 100


def tone(level: float, n: int = FRAME) -> npt.NDArray[np.int16]:
    t = np.arange(n)
    return (level * np.sin(2 * np.pi * 440 * t / RATE)).astype(np.int16)


def feed(guard: LowErleGuard, seconds: float, far: float, near: float, out: float) -> list[bool]:
    flips = []
    for _ in range(int(seconds * 100)):
        flip = guard.update(tone(far), tone(near), tone(out))
        if flip is not None:
            flips.append(flip)
    return flips


def test_sustained_low_erle_with_the_assistant_talking_is_a_leak_and_clears_after() -> None:
    guard = LowErleGuard()
    assert feed(guard, 1.5, far=8000, near=4000, out=2000) == []  # 6 dB for 1.5 s: not yet
    assert feed(guard, 1.0, far=8000, near=4000, out=2000) == [True]
    assert guard.leaking and guard.last_erle_db is not None and guard.last_erle_db < 12.0
    assert feed(guard, 3.0, far=8000, near=4000, out=4) == []  # cancelled again, 4 s to clear
    assert feed(guard, 1.5, far=8000, near=4000, out=4) == [False]


def test_quiet_residue_silent_assistant_and_short_dips_are_no_leak() -> None:
    guard = LowErleGuard()
    assert feed(guard, 5.0, far=8000, near=30, out=20) == []  # too quiet for any VAD
    assert feed(guard, 5.0, far=0, near=4000, out=4000) == []  # the user alone: not judged
    for _ in range(5):  # the user speaking over the assistant for a second at a time
        assert feed(guard, 1.0, far=8000, near=4000, out=3000) == []
        assert feed(guard, 0.5, far=8000, near=4000, out=4) == []
    assert not guard.leaking


def babble(samples: int, seed: int) -> npt.NDArray[np.float64]:
    """Loud sound with no pauses, unrelated to any reference: noise in roughly the speech band,
    its level swinging at 4 Hz like syllables (about -15 dBFS)."""
    noise = np.random.default_rng(seed).standard_normal(samples)
    low = np.convolve(noise, np.ones(12) / 12, mode="same")  # below ~4 kHz
    band = low - np.convolve(low, np.ones(160) / 160, mode="same")  # above ~300 Hz
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * np.arange(samples) / RATE)
    out: npt.NDArray[np.float64] = band / np.std(band) * 6000 * syllables
    return out


def test_the_stage_flags_echo_it_cannot_cancel_and_not_echo_it_cancels() -> None:
    """A mic that is loud, unrelated to the reference and never cancelled (the reference the
    canceller gets is not what the room plays) is flagged; a normal echo is cancelled and never
    flagged.

    What the room plays is seeded babble (band-limited noise at a syllable rate), not espeak:
    how soon the verdict comes depends on the exact audio, espeak-ng's output differs by a few
    samples from one synthesis to the next, and with a spoken sentence the first verdict came
    after 2.6-12.5 s over eight renderings here and not within 16 s in a CI run. With the babble
    it comes at 9.2 s for every seed and every rendering of the assistant's speech tried (six
    each); that it takes seconds is a limit of the detector as it stands.
    """
    far = far_speech(16.0)
    loud = babble(far.size, seed=0)
    aec = EchoCanceller()
    leaks = []
    for i in range(0, far.size - 960 + 1, 960):
        aec.process_far(far[i : i + 960])
        aec.process_near(np.clip(loud[i : i + 960], -32768, 32767).astype(np.int16))
        leaks += [v.leaking for v in aec.take_verdicts()]
    assert leaks[:1] == [True] and aec.metrics.echo_leaking
    sc = scene(8.0)
    aec = EchoCanceller()
    for i in range(0, sc.far.size - 960 + 1, 960):
        aec.process_far(sc.far[i : i + 960])
        aec.process_near(sc.mic[i : i + 960])
        assert not aec.take_verdicts()
