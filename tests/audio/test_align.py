"""Lining the reference up by stream time: the clocks, and the timeline that releases frames."""

from __future__ import annotations

import numpy as np

from voicechat.audio.echo.align import FarTimeline, StreamClock


def frame(n: int) -> np.ndarray:
    return np.full(480, n, dtype=np.int16)


def test_the_count_is_the_clock_without_timestamps() -> None:
    clock = StreamClock(48000)
    clock.block(960, None)
    clock.block(960, None)
    assert not clock.stamped and clock.time_at(1920) == 0.04


def test_timestamps_anchor_the_count_and_jitter_does_not_move_it() -> None:
    clock = StreamClock(48000)
    clock.block(960, 100.0)
    clock.block(960, 100.0203)  # 0.3 ms late: followed only a little
    assert clock.stamped and abs(clock.time_at(1920) - 100.04) < 1e-4
    clock.block(960, 100.140)  # 100 ms later than counted: the device played silence
    assert clock.jumps == 1 and abs(clock.time_at(1920) - 100.140) < 1e-6


def test_releases_by_time_lag_behind_the_mic() -> None:
    line = FarTimeline(margin_ms=30)
    line.follow(80.0)  # 80 ms - 30 ms margin -> 5 frames held back
    assert line.lag_frames == 5 and line.lag_ms == 50
    for n in range(20):
        line.push(n / 100, frame(n))
    assert [int(f[0]) for f in line.for_estimator(0.07)] == list(range(8))
    assert [int(f[0]) for f in line.for_apm(0.07)] == [0, 1, 2]
    assert [int(f[0]) for f in line.for_apm(0.09)] == [3, 4]


def test_small_changes_of_the_estimate_do_not_move_the_lag() -> None:
    line = FarTimeline(margin_ms=30, hysteresis_frames=2)
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
    line = FarTimeline(max_frames=4)
    line.follow(1000.0)
    assert line.lag_frames == 3  # never more than the queue can hold
    for n in range(6):
        line.push(n / 100, frame(n))
    assert line.dropped == 2
    assert [int(f[0]) for f in line.for_apm(1.0)] == [2, 3, 4, 5]
