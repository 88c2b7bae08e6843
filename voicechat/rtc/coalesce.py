"""An event loop that lets socket reads wait for a timer due in the next few milliseconds.

A local server with WebRTC sessions wakes every 20 ms for the shared pacer tick
(:mod:`voicechat.rtc.pacer`) and, in between, once for every burst of incoming RTP: each client
sends on its own 20 ms clock, at its own phase, so with N clients the loop wakes up to N + 1
times per frame period. On this project's VM a wake-up costs ~0.2 ms of CPU before any work
(the scheduler, ``epoll``, a turn of the loop), which was most of a session's cost at low
session counts (``bench/README.md``, server row).

:class:`CoalescingSelector` changes one thing: when the loop would block and a timer is due
within :data:`HOLD_S` anyway, it sleeps until that timer instead of waiting on the sockets; the
loop runs the timer, then collects everything that became ready meanwhile in one non-blocking
poll. While the pacer runs
(a timer every 20 ms), the loop therefore wakes on the grid only, and each wake-up handles the
tick and every packet that arrived since the last one. A packet waits at most until the next
due timer (≤ :data:`HOLD_S`, ~10 ms on average); the kernel queues it meanwhile. With no timer
due soon (an idle server, a server with only WebSocket sessions between deltas) the loop waits
on its sockets as usual and reacts at once, so the hold costs no idle wake-ups. Wake-ups from
other threads (``call_soon_threadsafe``: executor results, signals) wait for the same timer.

Outgoing audio is unaffected: it leaves on the pacer's timers, which this selector never delays.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from typing import Any

#: the longest a ready socket waits for a timer that is due anyway (one frame period)
HOLD_S = 0.020


class CoalescingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's default selector, whose blocking waits end on timers only when one is near.

    ``select(timeout)`` with ``0 < timeout <= HOLD_S`` sleeps ``timeout`` and returns no event,
    so the loop runs the timer first (the pacer's tick: the outgoing frames leave before the
    packets that came in meanwhile are handled); the next ``select``, whatever its timeout,
    then polls without blocking, so the sockets are read right after. Any other timeout
    (``None``, ``0``, or a timer further away) selects as usual.
    """

    def __init__(self, hold_s: float = HOLD_S) -> None:
        super().__init__()
        self.hold_s = hold_s
        self._poll_next = False  # the last wait slept: the sockets have not been polled since
        #: blocking waits that slept until a timer instead of waking on I/O (for tests, benches)
        self.held = 0

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        if self._poll_next:
            self._poll_next = False
            timeout = 0
        elif timeout is not None and 0 < timeout <= self.hold_s:
            self.held += 1
            time.sleep(timeout)
            self._poll_next = True
            return []
        ready: list[tuple[Any, int]] = super().select(timeout)
        return ready


def coalescing_loop() -> asyncio.AbstractEventLoop:
    """A new selector event loop whose socket waits are held for near timers (``loop_factory``)."""
    return asyncio.SelectorEventLoop(CoalescingSelector())
