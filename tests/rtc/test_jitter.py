"""The sans-IO adaptive jitter buffer: table tests on simulated networks, and properties.

Time is simulated (:mod:`tests.rtc.sim`), so delays here are exact and asserting them is
asserting behaviour, not machine speed.
"""

from __future__ import annotations

import itertools
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rtc.sim import FRAME_S, simulate
from voicechat.rtc.jitter import (
    Conceal,
    Decision,
    JitterBuffer,
    JitterConfig,
    Play,
    unwrap,
)

CFG = JitterConfig()
FLOOR_MS = CFG.floor_ms


@pytest.mark.parametrize(
    ("value", "reference", "bits", "expected"),
    [
        (5, 3, 16, 5),
        (65535, 0, 16, -1),  # just before a wrap seen from after it
        (2, 65534, 16, 65538),  # just after a wrap
        (3, 65536 + 5, 16, 65536 + 3),
        (0, 2**32 - 960, 32, 2**32),
        (2**31 + 7, 0, 32, -(2**31) + 7),
    ],
)
def test_unwrap(value: int, reference: int, bits: int, expected: int) -> None:
    assert unwrap(value, reference, bits) == expected


def test_zero_jitter_plays_everything_at_the_floor() -> None:
    run = simulate(200, lambda i: 0.003)
    plays = run.plays()
    assert [p.seq for _, p in plays] == list(range(200))
    assert run.delays_ms() == pytest.approx([FLOOR_MS] * 200)
    # the stream then stops: a few frames of concealment fade it out, then the buffer idles
    assert [c.reason for _, c in run.conceals()] == ["late"] * CFG.max_conceal
    assert run.buffer.idle
    assert run.buffer.target_ms == pytest.approx(FLOOR_MS)


def test_a_lost_packet_takes_exactly_one_concealed_slot() -> None:
    run = simulate(100, lambda i: None if i == 40 else 0.001, tail_s=0.0)
    plays = [p.seq for _, p in run.plays()]
    assert plays == [i for i in range(100) if i != 40]
    conceals = run.conceals()
    assert [(c.seq, c.reason) for _, c in conceals] == [(40, "late")]
    # the concealment took slot 40's time and 41 played in its own slot: no delay added
    assert run.delays_ms() == pytest.approx([FLOOR_MS] * 99)
    assert run.buffer.stats.skipped == 1


def test_a_burst_of_losses_is_concealed_without_stalling() -> None:
    lost = set(range(30, 34))
    run = simulate(100, lambda i: None if i in lost else 0.001, tail_s=0.0)
    assert [p.seq for _, p in run.plays()] == [i for i in range(100) if i not in lost]
    times = [t for t, _ in run.decisions]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) == pytest.approx(FRAME_S), "one decision per 20 ms slot, no stall"
    assert run.buffer.stats.skipped == len(lost)


def test_late_reordered_packets_raise_the_target_and_the_delay() -> None:
    # every 10th packet comes 45 ms late (after the next two): the first ones are concealed
    # (their slots waited for, then given up; they are thrown away on arrival), then the target
    # covers them and they play
    run = simulate(400, lambda i: 0.045 if i % 10 == 5 else 0.001)
    seqs = [p.seq for _, p in run.plays()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert 5 not in seqs and run.buffer.stats.discarded_late >= 1
    assert run.conceals()[0][1].seq == 5
    assert any(c.reason == "grow" for _, c in run.conceals()), "the delay grew"
    assert run.buffer.target_ms > 45.0
    assert all(i in seqs for i in range(205, 400, 10)), "late packets now play"
    assert not [c for _, c in run.conceals() if 200 <= c.seq < 400]


def test_one_stray_late_packet_buys_latency_only_for_a_while() -> None:
    run = simulate(400, lambda i: 0.045 if i == 150 else 0.001, tail_s=0.0)
    stats = run.buffer.stats
    assert run.conceals()[0][1].seq == 150 and stats.concealed_grow <= 1  # J jumped a bit
    assert stats.dropped == stats.concealed_grow, "and the delay came back down"
    assert run.buffer.delay_ms == pytest.approx(FLOOR_MS)


def test_thirty_ms_of_jitter_no_concealment_once_adapted() -> None:
    rng = random.Random(7)
    run = simulate(1500, lambda i: rng.random() * 0.030, tail_s=0.0)
    assert not run.conceals(after=3.0)
    assert 30.0 <= run.buffer.target_ms <= 60.0
    delays = run.delays_ms(after=3.0)
    assert statistics.median(delays) < run.buffer.target_ms
    assert run.buffer.stats.discarded_late == 0


def test_target_grows_fast_and_shrinks_slowly() -> None:
    rng = random.Random(3)
    delays = [rng.random() * 0.040 if 250 <= i < 500 else 0.001 for i in range(1500)]
    run = simulate(1500, lambda i: delays[i], tail_s=0.0)
    assert run.target_at(4.9) < 20.0  # clean link: near the floor
    assert run.target_at(6.0) > 35.0  # 1 s into 40 ms of jitter: up already
    after = [run.target_at(t) for t in (10.5, 12.0, 14.0, 25.0)]  # clean again from 10 s
    assert after == sorted(after, reverse=True), "down again, monotonically"
    assert after[0] > 30.0, "not at once"
    assert after[-1] < 20.0
    assert run.buffer.stats.dropped > 0, "the delay followed the target down"
    assert not run.conceals(after=12.0)


def test_sequence_numbers_and_timestamps_wrap() -> None:
    run = simulate(200, lambda i: 0.002, seq0=65500, ts0=2**32 - 50 * 960, tail_s=0.0)
    plays = [p for _, p in run.plays()]
    assert [p.seq for p in plays] == [65500 + i for i in range(200)]
    assert [p.timestamp for p in plays] == [i * 960 for i in range(200)]
    assert not run.conceals()


def test_idle_after_the_stream_stops_then_reanchors() -> None:
    # 100 packets, a 2 s pause (no concealment for all of it), 100 more
    run = simulate(300, lambda i: None if 100 <= i < 200 else 0.001, tail_s=0.0)
    assert [c.reason for _, c in run.conceals()] == ["late"] * CFG.max_conceal
    assert run.buffer.stats.anchors == 2
    assert [p.seq for _, p in run.plays()] == list(range(100)) + list(range(200, 300))
    assert run.delays_ms() == pytest.approx([FLOOR_MS] * 200)


def test_duplicates_stale_and_far_ahead_packets() -> None:
    buffer = JitterBuffer()
    buffer.push(10, 0, b"a", 0.0)
    buffer.push(10, 0, b"a", 0.001)
    assert buffer.stats.duplicates == 1
    out = buffer.pop(1.0)
    assert isinstance(out[0], Play) and out[0].seq == 10
    buffer.push(10, 0, b"a", 1.0)
    buffer.push(9, 65536 - 960, b"z", 1.0)
    assert buffer.stats.discarded_late == 2
    buffer.push(10 + 1000, 1000 * 960, b"far", 1.0)
    assert buffer.stats.anchors == 2 and buffer.buffered == 1


# --- properties -------------------------------------------------------------------------------

arrivals = st.lists(
    st.tuples(st.integers(0, 120), st.floats(0.0, 0.4, allow_nan=False)), max_size=250
)


def drive(events: list[tuple[int, float]], seq0: int, config: JitterConfig) -> list[Decision]:
    buffer = JitterBuffer(config)
    out: list[Decision] = []
    timeline = sorted((i * FRAME_S + d, i) for i, d in events)
    for pushed, (arrival, i) in enumerate(timeline, start=1):
        while (due := buffer.next_due()) is not None and due <= arrival:
            out += buffer.pop(due)
        buffer.push((seq0 + i) % 65536, (i * 960 + 12345) % 2**32, i.to_bytes(2, "big"),
                    arrival)
        out += buffer.pop(arrival)
        assert buffer.buffered <= config.capacity
        s = buffer.stats
        assert pushed == (s.played + s.dropped + s.discarded_late + s.duplicates + s.overflow
                          + buffer.buffered)
    end = (timeline[-1][0] if timeline else 0.0) + 5.0
    while (due := buffer.next_due()) is not None and due <= end:
        out += buffer.pop(due)
    return out


@settings(max_examples=300, deadline=None)
@given(arrivals, st.integers(0, 65535), st.sampled_from([CFG, JitterConfig(capacity=8)]))
def test_frames_come_out_in_order_once_and_bounded(
    events: list[tuple[int, float]], seq0: int, config: JitterConfig
) -> None:
    out = drive(events, seq0, config)
    plays = [d for d in out if isinstance(d, Play)]
    seqs = [p.seq for p in plays]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for p in plays:  # the payload is the packet that carried that sequence number
        assert (seq0 + int.from_bytes(p.payload, "big")) % 65536 == p.seq % 65536
    given_up = {d.seq for d in out if isinstance(d, Conceal) and d.reason == "lost"}
    assert not given_up & set(seqs), "a slot given up is never played afterwards"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 0.06, allow_nan=False), min_size=100, max_size=300))
def test_jitter_never_makes_the_target_leave_its_bounds(delays: list[float]) -> None:
    run = simulate(len(delays), lambda i: delays[i], tail_s=0.0)
    assert FLOOR_MS - 1e-9 <= run.buffer.target_ms <= CFG.max_ms
    seqs = [p.seq for _, p in run.plays()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
