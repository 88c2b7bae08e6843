"""How late the engine's event loop runs: the part of a turn's first audio that is the load
generator's own.

A conversation's events wait on the engine's loop; when the loop is busy with other callers
every measured latency grows by that wait, and the figures describe the generator, not the
agent. ``VOICECHAT_LOAD_LAG=FILE`` (a developer's switch, read by ``bench/bench_load.py``)
makes the engine wake every :data:`PERIOD_S` and write, at its end, how late those wake-ups
were: ``{"samples": N, "p50": …, "p95": …, "p99": …, "max": …}`` in milliseconds, and the
engine's full garbage collections over the run (``"gc": {"full_collections": …,
"longest_full_ms": …, "frozen_objects": …}``, the server's ``/healthz`` figures: they are most
of the worst lags), to ``FILE.<pid>`` (one file per engine: a run with several workers has
several).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from voicechat.latency.model import percentile

LAG_VARIABLE = "VOICECHAT_LOAD_LAG"
PERIOD_S = 0.02


def percentiles(lags_ms: list[float]) -> dict[str, float]:
    """The nearest-rank p50/p95/p99 and the maximum of ``lags_ms`` (zeros when empty)."""
    if not lags_ms:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(lags_ms)
    return {f"p{p}": round(percentile(ordered, p), 2) for p in (50, 95, 99)} | {
        "max": round(ordered[-1], 2)}


async def watch(lags_ms: list[float]) -> None:
    """Append how late each wake-up came, in ms, until cancelled."""
    while True:
        due = time.monotonic() + PERIOD_S
        await asyncio.sleep(PERIOD_S)
        lags_ms.append(max(0.0, (time.monotonic() - due) * 1000.0))


def write(path: Path, lags_ms: list[float], gc: dict[str, Any] | None = None) -> None:
    """The figures of :func:`percentiles` (and ``gc``'s, when given) as JSON, to ``path`` with
    this process's id added."""
    path = path.with_name(f"{path.name}.{os.getpid()}")
    figures: dict[str, Any] = {"samples": len(lags_ms)} | percentiles(lags_ms)
    if gc is not None:
        figures["gc"] = gc
    path.write_text(json.dumps(figures), encoding="utf-8")
