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


def test_time_the_speaker_left_empty_is_filled_with_silence() -> None:
    """An underrun that stalls the speaker's stream: once the mic is 100 ms past the last far
    frame, the span is silence for both the estimator and the APM, frame by frame in time."""
    line = FarTimeline()
    silence = np.zeros(480, dtype=np.int16)
    assert line.fill_silence(5.0, silence) == 0  # nothing before the speaker's first frame
    for n in range(3):
        line.push(n / 100, frame(n + 1))
    assert line.fill_silence(0.12, silence) == 0  # 0.02 + grace: not a gap yet
    assert line.fill_silence(0.175, silence) == 5  # 0.03 .. 0.07
    assert line.fill_silence(0.175, silence) == 0  # filled once
    assert [int(f[0]) for f in line.for_apm(0.075)] == [1, 2, 3, 0, 0, 0, 0, 0]
    assert line.silence_frames == 5


def test_a_late_frame_for_a_span_given_as_silence_is_dropped_not_doubled() -> None:
    line = FarTimeline()
    line.push(0.0, frame(1))
    line.fill_silence(0.2, np.zeros(480, dtype=np.int16))  # 0.01 .. 0.10
    line.push(0.05, frame(7))  # stamped inside the silent span: it would be a second frame there
    line.push(0.11, frame(8))  # right after it: kept
    assert line.overlapped == 1
    assert [int(f[0]) for f in line.for_estimator(0.2)] == [1] + [0] * 10 + [8]


def test_a_gap_longer_than_the_queue_keeps_only_its_newest_part() -> None:
    line = FarTimeline(max_frames=10)
    line.push(0.0, frame(1))
    assert line.fill_silence(60.0, np.zeros(480, dtype=np.int16)) == 10
    released = line.for_apm(60.0)
    assert len(released) == 10 and line.dropped == 1  # the real frame made room
