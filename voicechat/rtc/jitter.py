"""An adaptive audio jitter buffer, sans-IO: packets in with their arrival time, decisions out.

Why our own: aiortc's audio jitter buffer releases a frame only once four more have arrived
(about 80 ms whatever the network), and a lost packet stalls it until 16 packets later. This
one plays each frame at a *playout time* that follows the measured jitter:

* every packet's transit (arrival minus its RTP time) goes into :class:`DelayEstimator`: the
  RFC 3550 interarrival jitter ``J`` (gain 1/16) and, over the last ``window_s``, the fastest
  transit (``base``: when a frame could have arrived at best) and a high quantile of how much later
  than that packets really came (``spread``, the 97th percentile: a lone stall of a few packets
  is under 3 % of a 10 s window, so it is concealed rather than bought with latency);
* the target delay is ``floor + max(k·J, spread)``, clamped to ``max_ms``: a small floor on
  loopback, growing at once with real jitter, and shrinking back slowly (exponentially, time
  constant ``shrink_tau_s``). The first ``settle_s`` of a stream set the target and are then
  forgotten: call set-up (DTLS, SCTP, the server creating the session) delivers its first packets
  in bursts that say nothing about the network, and a 10 s window would hold them for 10 s;
* slot ``n`` plays at ``rtp_time(n) + offset``; ``offset - base`` is the delay actually applied.
  When it falls short of the target by more than half a frame a concealment frame is inserted
  (``grow``); when it exceeds the target by more than half a frame (plus a little hysteresis),
  one frame is dropped, at most one per ``drop_hold_s`` (slow shrinking: a passing burst does not
  cause a click a second);
* a frame missing at its playout time is concealed: ``lost`` (a later packet is already here, so
  the slot is skipped) or ``late`` (nothing newer came: wait one more frame, the delay grows;
  when a newer packet then comes, the slots already concealed stand for the missing packets and
  the added delay is taken back, so a loss costs one concealed frame and no latency).
  After ``max_conceal`` concealments in a row with nothing buffered the stream has stopped: the
  buffer goes idle and re-anchors on the next packet instead of concealing silence forever.

Frames come out in sequence order, each at most once; packets older than the playout point,
duplicates and packets beyond ``capacity`` slots ahead are dropped, so memory stays bounded.
Time is passed in (seconds, any monotonic origin); nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

SEQ_BITS = 16
#: a drop needs the delay this far above half a frame over target, so that a target wobbling
#: by a millisecond cannot make the buffer grow (insert) and drop (skip) in turn
DROP_HYSTERESIS_S = 0.005
TS_BITS = 32


def unwrap(value: int, reference: int, bits: int) -> int:
    """The extended counter congruent to ``value`` (mod 2**bits) closest to ``reference``."""
    modulus = 1 << bits
    delta = (value - reference) % modulus
    if delta >= modulus >> 1:
        delta -= modulus
    return reference + delta


@dataclass(frozen=True)
class JitterConfig:
    """Tuning; the defaults suit 20 ms Opus at 48 kHz (what aiortc and OpenAI send)."""

    clock_rate: int = 48000
    frame_samples: int = 960
    floor_ms: float = 10.0  # loopback scheduling noise: the least delay ever applied
    k: float = 2.0  # target = floor + max(k * J, spread): J reacts first, the spread holds
    late_quantile: float = 0.97  # of (transit - base) over the window: the "spread"
    window_s: float = 10.0  # long: one stall of a few packets is not 3 % of it
    max_ms: float = 240.0
    shrink_tau_s: float = 2.5  # the target comes back down with this time constant
    settle_s: float = 2.0  # after this much of a stream, its start-up samples go
    drop_hold_s: float = 1.0  # at most one frame dropped (delay -20 ms) per this long
    max_conceal: int = 5  # consecutive concealments with nothing buffered: go idle
    capacity: int = 64  # slots ahead of the playout point kept at most

    @property
    def frame_s(self) -> float:
        return self.frame_samples / self.clock_rate


@dataclass(frozen=True)
class Play:
    """Decode this packet now."""

    seq: int  # extended sequence number
    timestamp: int  # RTP time relative to the first packet, in clock ticks
    payload: bytes
    arrival: float


@dataclass(frozen=True)
class Conceal:
    """Nothing to decode for this slot: conceal (PLC) instead.

    ``lost``: slot ``seq`` is given up (a later packet is here); ``late``: still waiting for
    ``seq`` (nothing newer came), the delay grows by a frame; ``grow``: ``seq`` is here but the
    target delay rose, so a frame of concealment goes first.
    """

    seq: int
    reason: Literal["lost", "late", "grow"]


Decision = Play | Conceal


@dataclass
class JitterStats:
    """Counters; every packet pushed ends up in exactly one of the packet counters."""

    played: int = 0  # packets decoded
    skipped: int = 0  # slots given up (their packet lost or too late)
    dropped: int = 0  # packets skipped on purpose to bring the delay down
    discarded_late: int = 0  # packets that came after their slot was played or given up
    duplicates: int = 0
    overflow: int = 0  # packets thrown away because they came more than `capacity` ahead
    concealed_lost: int = 0  # concealment frames for a slot given up
    concealed_late: int = 0  # concealment frames while waiting for a late packet
    concealed_grow: int = 0  # concealment frames inserted because the target rose
    anchors: int = 0  # (re)starts: the first packet, then after every idle stretch

    @property
    def concealed(self) -> int:
        """Concealment frames produced (each took one 20 ms playout slot)."""
        return self.concealed_lost + self.concealed_late + self.concealed_grow


class DelayEstimator:
    """RFC 3550 jitter plus the fastest transit and the spread over a sliding window."""

    def __init__(self, window_s: float, quantile: float, max_samples: int = 1024) -> None:
        self.window_s = window_s
        self.quantile = quantile
        self._samples: deque[tuple[float, float]] = deque(maxlen=max_samples)
        self._sorted: list[float] = []
        self._last_transit: float | None = None
        self.jitter = 0.0  # seconds

    def reset_window(self) -> None:
        """Forget the transits (a re-anchor: the sender's clock may have jumped); keep ``J``."""
        self._samples.clear()
        self._sorted = []
        self._last_transit = None

    def add(self, arrival: float, transit: float) -> None:
        if self._last_transit is not None:
            d = abs(transit - self._last_transit)
            self.jitter += (d - self.jitter) / 16.0
        self._last_transit = transit
        if len(self._samples) == self._samples.maxlen:
            self._forget_oldest()
        self._samples.append((arrival, transit))
        bisect.insort(self._sorted, transit)
        while self._samples and arrival - self._samples[0][0] > self.window_s:
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        _, transit = self._samples.popleft()
        del self._sorted[bisect.bisect_left(self._sorted, transit)]

    @property
    def base(self) -> float | None:
        return self._sorted[0] if self._sorted else None

    @property
    def spread(self) -> float:
        if not self._sorted:
            return 0.0
        index = min(len(self._sorted) - 1, int(self.quantile * len(self._sorted)))
        return self._sorted[index] - self._sorted[0]


@dataclass
class _Packet:
    timestamp: int
    payload: bytes
    arrival: float


class JitterBuffer:
    """Push packets with :meth:`push`; call :meth:`pop` at (or after) :meth:`next_due`."""

    def __init__(self, config: JitterConfig | None = None) -> None:
        self.config = config or JitterConfig()
        cfg = self.config
        self.stats = JitterStats()
        self.estimator = DelayEstimator(cfg.window_s, cfg.late_quantile)
        self._packets: dict[int, _Packet] = {}
        self._highest_seq: int | None = None
        self._last_ts: int | None = None
        self._ts0 = 0
        self._next_seq = 0
        self._next_ts = 0  # RTP time of the next slot when its packet is not here
        self._offset = 0.0  # slot with RTP time t plays at t / clock_rate + offset
        self._idle = True
        self._target = cfg.floor_ms / 1000.0
        self._target_at: float | None = None
        self._settle_at: float | None = None  # when the start-up samples are forgotten
        self._last_adjust = float("-inf")
        self._concealed_in_row = 0
        self._waited = 0  # slots concealed while waiting for the packet at the playout point

    # --- what the wiring and the tests read ------------------------------------------------

    @property
    def target_ms(self) -> float:
        return self._target * 1000.0

    @property
    def jitter_ms(self) -> float:
        return self.estimator.jitter * 1000.0

    @property
    def delay_ms(self) -> float | None:
        """The delay applied now: playout time minus the fastest possible arrival."""
        base = self.estimator.base
        return None if base is None or self._idle else (self._offset - base) * 1000.0

    @property
    def buffered(self) -> int:
        return len(self._packets)

    @property
    def idle(self) -> bool:
        return self._idle

    def next_due(self) -> float | None:
        """When the next slot plays (``None`` while idle: wait for a packet)."""
        if self._idle:
            return None
        packet = self._packets.get(self._next_seq)
        ts = packet.timestamp if packet is not None else self._next_ts
        return self._seconds(ts) + self._offset

    # --- input ------------------------------------------------------------------------------

    def push(self, seq: int, timestamp: int, payload: bytes, arrival: float) -> None:
        """A packet arrived (``seq``/``timestamp`` as on the wire: 16 and 32 bits)."""
        cfg = self.config
        if self._highest_seq is None or self._last_ts is None:
            ext_seq, ext_ts = seq, timestamp
            self._ts0 = timestamp
        else:
            ext_seq = unwrap(seq, self._highest_seq, SEQ_BITS)
            ext_ts = unwrap(timestamp, self._last_ts, TS_BITS)
        if ext_seq in self._packets:
            self.stats.duplicates += 1
            return
        if self._highest_seq is None or ext_seq > self._highest_seq:
            self._highest_seq = ext_seq
            self._last_ts = ext_ts
        rel_ts = ext_ts - self._ts0
        if self._settle_at is not None and arrival >= self._settle_at:
            self._settle_at = None
            self.estimator.reset_window()
        self.estimator.add(arrival, arrival - self._seconds(rel_ts))
        self._update_target(arrival)
        if self._idle:
            if self.stats.anchors and ext_seq < self._next_seq:
                self.stats.discarded_late += 1
                return
            self._anchor(ext_seq, rel_ts, payload, arrival)
            return
        if ext_seq < self._next_seq:
            self.stats.discarded_late += 1
            return
        if ext_seq >= self._next_seq + cfg.capacity:
            # far ahead of the playout point (a long stall upstream): start again from here
            self.stats.overflow += len(self._packets)
            self._packets.clear()
            self._anchor(ext_seq, rel_ts, payload, arrival)
            return
        self._packets[ext_seq] = _Packet(rel_ts, payload, arrival)

    def _anchor(self, ext_seq: int, rel_ts: int, payload: bytes, arrival: float) -> None:
        self.stats.anchors += 1
        self.estimator.reset_window()
        self._settle_at = arrival + self.config.settle_s
        transit = arrival - self._seconds(rel_ts)
        self.estimator.add(arrival, transit)
        self._packets[ext_seq] = _Packet(rel_ts, payload, arrival)
        self._next_seq = ext_seq
        self._next_ts = rel_ts
        self._offset = transit + self._target
        self._idle = False
        self._concealed_in_row = 0
        self._waited = 0

    def _update_target(self, now: float) -> None:
        cfg = self.config
        est = self.estimator
        raw = cfg.floor_ms / 1000.0 + max(cfg.k * est.jitter, est.spread)
        raw = min(raw, cfg.max_ms / 1000.0)
        if raw >= self._target or self._target_at is None:
            self._target = raw
        else:
            keep = math.exp(-max(0.0, now - self._target_at) / cfg.shrink_tau_s)
            self._target = raw + (self._target - raw) * keep
        self._target_at = now

    # --- output -----------------------------------------------------------------------------

    def pop(self, now: float) -> list[Decision]:
        """Every decision due by ``now``, one per playout slot, in order."""
        out: list[Decision] = []
        while not self._idle:
            due = self.next_due()
            if due is None or due > now:
                break
            out.append(self._slot(now))
        return out

    def _slot(self, now: float) -> Decision:
        cfg = self.config
        frame_s = cfg.frame_s
        self._maybe_drop(now)
        delay = self._delay()
        seq = self._next_seq
        packet = self._packets.get(seq)
        if packet is not None and delay < self._target - frame_s / 2:
            self._offset += frame_s
            self._last_adjust = now
            self.stats.concealed_grow += 1
            return Conceal(seq, "grow")
        if packet is not None:
            del self._packets[seq]
            self._next_seq += 1
            self._next_ts = packet.timestamp + cfg.frame_samples
            self._concealed_in_row = 0
            self._waited = 0
            self.stats.played += 1
            return Play(seq, packet.timestamp, packet.payload, packet.arrival)
        newer = any(s > seq for s in self._packets)
        if newer and self._waited:
            # the slots we concealed while waiting stand for the packets that never came: give
            # those up and take back the delay the wait added, so that the next packet plays in
            # this very slot (a loss costs one concealed frame, not two)
            while self._waited and self._next_seq not in self._packets:
                self._skip()
                self._offset -= frame_s
                self._waited -= 1
            self._waited = 0
            return self._slot(now)
        self._concealed_in_row += 1
        if newer or delay + frame_s > cfg.max_ms / 1000.0:
            self._skip()
            self.stats.concealed_lost += 1
            decision = Conceal(seq, "lost")
        else:
            self._offset += frame_s
            self._waited += 1
            self.stats.concealed_late += 1
            decision = Conceal(seq, "late")
        if self._concealed_in_row >= cfg.max_conceal and not self._packets:
            self._idle = True
        return decision

    def _skip(self) -> None:
        self._next_seq += 1
        self._next_ts += self.config.frame_samples
        self.stats.skipped += 1

    def _delay(self) -> float:
        base = self.estimator.base
        return self._offset - base if base is not None else self._target

    def _maybe_drop(self, now: float) -> None:
        """Skip buffered frames while the delay is over half a frame above target (rate-limited).

        Growing starts half a frame below the target, so the delay settles within
        ``target ± frame/2`` (20 ms steps cannot do better) instead of somewhere up to a whole
        frame above it."""
        cfg = self.config
        frame_s = cfg.frame_s
        delay = self._delay()
        while (
            delay - self._target > frame_s / 2 + DROP_HYSTERESIS_S
            and self._next_seq in self._packets
            and self._next_seq + 1 in self._packets
            and (now - self._last_adjust >= cfg.drop_hold_s or delay > cfg.max_ms / 1000.0)
        ):
            dropped = self._packets.pop(self._next_seq)
            self._next_seq += 1
            self._next_ts = dropped.timestamp + cfg.frame_samples
            self._offset -= frame_s
            delay -= frame_s
            self._last_adjust = now
            self.stats.dropped += 1

    def _seconds(self, rel_ts: int) -> float:
        return rel_ts / self.config.clock_rate
