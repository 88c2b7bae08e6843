"""The garbage collector's full collections in this process: how many, and the longest pause.

Why: a full (generation 2) collection stops the event loop, and with it every session's audio
pacing and answers, for as long as it takes to walk the tracked objects and free what died in
cycles (a finished session's objects form cycles): 145 ms at 100 load-test callers on one core.
``/healthz`` reports these figures, so a load run can tell the server's own pauses from the
agent's, and whether ``voicechat serve``'s freeze of its start-up objects is in place.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


class GcPauses:
    """Counts full collections and their longest pause once :meth:`install`\\ ed."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._started: float | None = None
        self.full_collections = 0
        self.longest_ms = 0.0

    def install(self) -> None:
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def reset_longest(self) -> None:
        """A new measuring window (``/healthz?reset_max=1``)."""
        self.longest_ms = 0.0

    def figures(self) -> dict[str, Any]:
        return {"full_collections": self.full_collections,
                "longest_full_ms": round(self.longest_ms, 1),
                "frozen_objects": gc.get_freeze_count()}

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = self._clock()
        elif self._started is not None:
            self.full_collections += 1
            self.longest_ms = max(self.longest_ms, (self._clock() - self._started) * 1000.0)
            self._started = None
