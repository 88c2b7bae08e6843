"""How often the event pane repaints a growing fold (``response.output_audio_transcript.delta
×37``): at most every :data:`FOLD_REPAINT_S` seconds.

Its own part because it has its own state (when folds were last painted, which grew since, the
pending timer). While a response streams nearly every event is a delta folded into one line, and
with a live mic fifty appends a second fold into another: repainting that line at every poll was
a frame ten times a second for a count nobody reads that fast (bench/bench_tui_mic.py). The first
growth after a quiet spell repaints at once; the rest wait for the interval; a new line repaints
the whole pane anyway, folds included.

While a fold keeps growing, its repaint rides on the frame that brings the growth (the app's
content frames come every 150 ms): a growth within :data:`EARLY_S` of the due time repaints
every stale fold then, and the timer, a little later than the due time, only catches the last
growth after the folds stop. A timer of its own at the due time was a frame of its own, between
two content frames, twice a second (bench/bench_tui.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from voicechat.ui.event_rows import Row

FOLD_REPAINT_S = 0.5
"""A growing fold is repainted at most this often; new lines at once."""

EARLY_S = 0.02
"""A growth this close to the due time repaints at once (with the frame it came in)."""

LATE_S = 0.05
"""The catch-up timer waits this long past the due time, so a content frame due then wins."""


class FoldRepaints:
    """Throttles fold repaints for one pane: ``grew(row)`` per growth, ``repaint`` does it."""

    def __init__(self, repaint: Callable[[Row], None],
                 set_timer: Callable[[float, Callable[[], None]], Any]) -> None:
        self._repaint = repaint
        self._set_timer = set_timer
        self._painted_at = float("-inf")  # monotonic time of the last fold repaint
        self._stale: list[Row] = []  # folds that grew since, repainted by the timer
        self._timer: Any = None

    def grew(self, row: Row) -> None:
        now = time.monotonic()
        wait = self._painted_at + FOLD_REPAINT_S - now
        if not any(stale is row for stale in self._stale):
            self._stale.append(row)
        if wait <= EARLY_S:
            if self._timer is not None:
                self._timer.stop()
            self._flush()
            return
        if self._timer is None:
            self._timer = self._set_timer(wait + LATE_S, self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._painted_at = time.monotonic()
        rows, self._stale = self._stale, []
        for row in rows:
            self._repaint(row)
