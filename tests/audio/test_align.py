"""The far-end delay line: the reference reaches the APM ``lag`` frames after it was played."""

from __future__ import annotations

import numpy as np

from voicechat.audio.echo.align import FarDelayLine


def frame(n: int) -> np.ndarray:
    return np.full(480, n, dtype=np.int16)


def test_releases_frames_lag_behind_and_in_order() -> None:
    line = FarDelayLine(margin_ms=30)
    line.follow(80.0)  # 80 ms - 30 ms margin -> 5 frames held back
    assert line.lag_frames == 5 and line.lag_ms == 50
    released = []
    for n in range(8):
        line.push(frame(n))
        released += [int(f[0]) for f in line.release()]
    assert released == [0, 1, 2]


def test_small_changes_of_the_estimate_do_not_move_the_lag() -> None:
    line = FarDelayLine(margin_ms=30, hysteresis_frames=2)
    line.follow(80.0)
    line.follow(95.0)  # 6 frames: within the hysteresis, keep 5
    assert line.lag_frames == 5
    line.follow(None)
    assert line.lag_frames == 5
    line.follow(130.0)
    assert line.lag_frames == 10
    line.follow(10.0)  # shorter than the margin: no lag at all
    assert line.lag_frames == 0


def test_a_full_queue_drops_the_oldest_and_counts_it() -> None:
    line = FarDelayLine(max_frames=4)
    line.follow(1000.0)
    assert line.lag_frames == 3  # never more than the queue can hold
    for n in range(6):
        line.push(frame(n))
    assert line.dropped == 2
    line.follow(0.0)
    assert [int(f[0]) for f in line.release()] == [2, 3, 4, 5]
