"""Drive the sans-IO jitter buffer with a simulated network (no clock, no sockets).

Packets leave every 20 ms; each arrives after ``delay(i)`` seconds or never (``None``). Events
are processed in time order: arrivals call ``push``, due slots call ``pop`` at their due time,
so the playout is what a real timer would have produced on an idle machine.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from voicechat.rtc.jitter import Conceal, Decision, JitterBuffer, JitterConfig, Play

FRAME_S = 0.02


@dataclass
class Run:
    buffer: JitterBuffer
    decisions: list[tuple[float, Decision]] = field(default_factory=list)
    targets: list[tuple[float, float]] = field(default_factory=list)  # (arrival, target ms)

    def target_at(self, t: float) -> float:
        """The target delay right after the last arrival at or before ``t``."""
        return [ms for at, ms in self.targets if at <= t][-1]

    def plays(self, after: float = 0.0) -> list[tuple[float, Play]]:
        return [(t, d) for t, d in self.decisions if isinstance(d, Play) and t >= after]

    def conceals(self, after: float = 0.0) -> list[tuple[float, Conceal]]:
        return [(t, d) for t, d in self.decisions if isinstance(d, Conceal) and t >= after]

    def delays_ms(self, after: float = 0.0) -> list[float]:
        return [(t - d.arrival) * 1000 for t, d in self.plays(after)]


def simulate(
    count: int,
    delay: Callable[[int], float | None],
    config: JitterConfig | None = None,
    *,
    seq0: int = 0,
    ts0: int = 0,
    tail_s: float = 1.0,
) -> Run:
    buffer = JitterBuffer(config)
    run = Run(buffer)
    arrivals: list[tuple[float, int]] = []
    for i in range(count):
        d = delay(i)
        if d is not None:
            heapq.heappush(arrivals, (i * FRAME_S + d, i))
    end = count * FRAME_S + tail_s
    while True:
        due = buffer.next_due()
        next_arrival = arrivals[0][0] if arrivals else None
        if next_arrival is not None and (due is None or next_arrival <= due):
            t, i = heapq.heappop(arrivals)
            seq = (seq0 + i) % 65536
            ts = (ts0 + i * 960) % 2**32
            buffer.push(seq, ts, i.to_bytes(4, "big"), t)
            run.targets.append((t, buffer.target_ms))
            run.decisions += [(t, d) for d in buffer.pop(t)]
        elif due is not None and due <= end:
            run.decisions += [(due, d) for d in buffer.pop(due)]
        else:
            return run
