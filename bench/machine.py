"""The machine's phase, for benchmarks whose figures are absolute (CPU % of a core).

This project's VMs are shared: the same code runs up to ~1.7x slower from one hour to the next,
and the host may steal CPU time from the guest. A ratio to a same-run baseline cancels that out;
a figure like "CPU per session" cannot, so such a bench prints these two next to it, taken at
its start and end, and two runs hours apart can be compared:

- the speed reference: the best of three timings of a fixed interpreter-bound workload (the
  stdlib ``json.loads`` over the same 20,000 event lines every time; lower is faster);
- steal: the share of CPU time the hypervisor gave to someone else over the run
  (``/proc/stat``'s ``steal`` column), ``None`` where the kernel does not report it.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path


@functools.cache
def _probe_lines() -> list[str]:
    """The fixed workload, built on first use: the bench's client workers import this module
    too (they run the same file) and never time anything."""
    return [
        json.dumps({"t": k / 100, "ts": f"2026-11-21T10:00:{k % 60:02d}.000Z", "dir": "in",
                    "event": {"type": "response.output_audio_transcript.delta",
                              "response_id": f"resp_{k // 20}", "item_id": f"item_{k // 20}",
                              "delta": "sunny "}})
        for k in range(20_000)
    ]


def speed_reference_ms() -> float:
    """Best of three timings of the fixed workload, in ms (lower: a faster phase)."""
    loads = json.loads
    lines = _probe_lines()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line in lines:
            loads(line)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _cpu_ticks() -> tuple[int, int] | None:
    """(all ticks, steal ticks) since boot, from ``/proc/stat``'s first line."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(ticks), ticks[7]


class StealMeter:
    """The share of CPU time stolen by the host between its creation and :meth:`percent`."""

    def __init__(self) -> None:
        self._start = _cpu_ticks()

    def percent(self) -> float | None:
        end = _cpu_ticks()
        if self._start is None or end is None or end[0] <= self._start[0]:
            return None
        return 100 * (end[1] - self._start[1]) / (end[0] - self._start[0])


def describe(reference_ms: float) -> str:
    """The reference as the bench prints it."""
    return (f"speed reference {reference_ms:.1f} ms "
            "(stdlib json.loads, 20,000 lines; lower = faster)")
