"""How often the event pane repaints a growing fold (``response.output_audio_transcript.delta
×37``): at most every :data:`FOLD_REPAINT_S` seconds.

Its own part because it has its own state (when folds were last painted, which grew since, the
pending timer). While a response streams nearly every event is a delta folded into one line, and
with a live mic fifty appends a second fold into another: repainting that line at every poll was
a frame ten times a second for a count nobody reads that fast (bench/bench_tui_mic.py). The first
growth after a quiet spell repaints at once; the rest wait for the interval; a new line repaints
the whole pane anyway, folds included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from voicechat.ui.event_rows import Row

FOLD_REPAINT_S = 0.5
"""A growing fold is repainted at most this often; new lines at once."""


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
        if wait <= 0:
            self._painted_at = now
            self._repaint(row)
            return
        if not any(stale is row for stale in self._stale):
            self._stale.append(row)
        if self._timer is None:
            self._timer = self._set_timer(wait, self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._painted_at = time.monotonic()
        rows, self._stale = self._stale, []
        for row in rows:
            self._repaint(row)
