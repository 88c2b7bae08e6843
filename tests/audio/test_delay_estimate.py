"""The stream-delay estimate holds while someone talks over the far end (issue 38).

On the real echo path a user's sentence in the assistant's own voice made two agreeing windows
at 458-500 ms; the estimate jumped there from 25 ms and the canceller lost the echo for 3-5 s.
While the local detector holds that the user talks (``near_talk``), peaks are not taken.
"""

from __future__ import annotations

import numpy as np

from tests.audio.echo_signals import far_speech
from voicechat.audio.echo.delay import DelayEstimator

RATE = 48000
FRAME = RATE // 100


def run(est: DelayEstimator, far: np.ndarray, mic: np.ndarray, judge: bool) -> float | None:
    out = None
    for i in range(0, far.size - FRAME + 1, FRAME):
        est.push_far(far[i : i + FRAME])
        out = est.push_mic(mic[i : i + FRAME], judge=judge)
    return out


def delayed(x: np.ndarray, ms: int) -> np.ndarray:
    n = RATE * ms // 1000
    return np.concatenate([np.zeros(n, np.int16), x[: x.size - n]])


def test_a_talker_does_not_move_the_estimate_and_a_real_jump_still_does() -> None:
    far = far_speech(8.0)
    est = DelayEstimator(RATE, window_ms=500)
    first, rest = far[: 4 * RATE], far[4 * RATE :]
    assert abs((run(est, first, delayed(first, 30), judge=True) or 0) - 30) <= 2
    # something at 400 ms behind the far end, while the user talks: held
    assert abs((run(est, rest, delayed(rest, 400), judge=False) or 0) - 30) <= 2
    # the same once nobody talks: a real jump (the sound server re-buffered), followed
    est2 = DelayEstimator(RATE, window_ms=500)
    run(est2, first, delayed(first, 30), judge=True)
    assert abs((run(est2, rest, delayed(rest, 400), judge=True) or 0) - 400) <= 2
