"""The UI's poll of the handle, on the process's 20 ms media grid.

The UI reads the view, the input level and the connection at :data:`~voicechat.ui.app.POLL_HZ`.
On a Textual interval timer that poll woke the event loop on a phase of its own (Textual even
wakes half a millisecond early on purpose), between the 20 ms ticks on which a file mic, a file
speaker and every paced WebRTC track already wake it (:mod:`voicechat.rtc.pacer`): a dozen extra
wake-ups a second with nothing else going on, each costing more than the poll itself
(bench/bench_tui_mic.py). Here every poll waits for a tick of that same grid: poll ``n`` falls on
the first tick at or after ``n / hz`` from the start, so 20 Hz is two polls per 100 ms (40 and
60 ms apart) and the average rate is exactly ``hz``. After a stall the missed polls are skipped,
as Textual's timers skip them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from voicechat.rtc.pacer import TICK_S, pacer_for


class GridPoll:
    """Calls ``callback`` ``hz`` times a second, each time on a tick of the shared grid."""

    def __init__(self, hz: float, callback: Callable[[], None], *,
                 on_error: Callable[[Exception], None]) -> None:
        self._interval = 1.0 / hz
        self._callback = callback
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    def start(self) -> None:
        """Start polling (a plain task, not a Textual worker: callers wait for the app's workers
        to complete, and this one never does)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="ui-poll")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def run(self) -> None:
        """Poll until cancelled; an error in the callback goes to ``on_error`` (the app's
        handler, as for an error in a Textual timer's callback) and ends the polling."""
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        start = pacer.tick_at_or_before(loop.time())
        n = 0
        while True:
            n += 1
            due = self._due(start, n)
            now = loop.time()
            if due < now - TICK_S:  # a stall: skip to the next poll still to come
                n = math.floor((now - start) / self._interval) + 1
                due = self._due(start, n)
            if due > now:
                await pacer.wait(due)
            self.polls += 1
            try:
                self._callback()
            except Exception as exc:
                self._on_error(exc)
                return

    def _due(self, start: float, n: int) -> float:
        """Poll ``n``'s tick: the first at or after ``n`` intervals from ``start``."""
        return start + math.ceil(n * self._interval / TICK_S - 1e-9) * TICK_S
