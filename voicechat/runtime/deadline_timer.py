"""The one timer a sans-IO core asks for, on the event loop (both drivers: Realtime, GPT-Live).

A core never reads a clock: it names its next deadline (``next_deadline()``) and expects
``handle_timer(now)`` once that time comes. :class:`DeadlineTimer` keeps one asyncio timer at
that deadline: re-armed only when the deadline moved (a driver re-arms after every input, and
most inputs move nothing), none after :meth:`close` (the conversation is ending).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class DeadlineTimer:
    """One asyncio timer at the core's next deadline; ``fire`` runs when it is due."""

    def __init__(self, clock: Callable[[], float], fire: Callable[[], None]) -> None:
        self._clock = clock
        self._fire = fire
        self._timer: asyncio.TimerHandle | None = None
        self._armed: float | None = None
        self._closed = False

    def arm(self, deadline: float | None) -> None:
        """Be due at ``deadline`` (monotonic seconds, as the clock), or not at all (``None``)."""
        if deadline == self._armed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed = deadline
        if deadline is not None and not self._closed:
            delay = max(0.0, deadline - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def close(self) -> None:
        """No more timers: the conversation is ending."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self) -> None:
        self._timer = None
        self._armed = None
        self._fire()
