"""One 20 ms clock for every paced track in a process, so N sessions cost one wake-up per tick.

Each :class:`~voicechat.rtc.tracks.PacedAudioTrack` used to sleep until its own next slot: with
N sessions at different phases the event loop woke N times per 20 ms, each wake-up a timer, a
future and a round of ``epoll``. The :class:`Pacer` puts every strictly paced track on one grid
(ticks every :data:`TICK_S` from the pacer's origin): a track starts on the tick just
passed, so all its later slots fall on ticks, and one timer per tick wakes every track waiting
for it (each awaits its own future: a cancelled waiter must not cancel the others). A track is
never released before its slot; its first frame goes out at once, on the tick just passed.
"""

from __future__ import annotations

import asyncio
import math
import weakref

TICK_S = 0.020


class Pacer:
    """Shared tick futures on one event loop (get it with :func:`pacer_for`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: float) -> None:
        self._loop = loop
        self.origin = origin
        self._ticks: dict[int, list[asyncio.Future[None]]] = {}

    def tick_at_or_before(self, t: float) -> float:
        """The grid time of the last tick at or before ``t`` (where a new track starts)."""
        return self.origin + math.floor((t - self.origin) / TICK_S + 1e-6) * TICK_S

    def wait(self, due: float) -> asyncio.Future[None]:
        """A future set at the first tick at or after ``due`` (one timer per tick for all)."""
        index = math.ceil((due - self.origin) / TICK_S - 1e-6)
        future: asyncio.Future[None] = self._loop.create_future()
        waiting = self._ticks.get(index)
        if waiting is None:
            waiting = self._ticks[index] = []
            self._loop.call_at(self.origin + index * TICK_S, self._fire, index)
        waiting.append(future)
        return future

    def _fire(self, index: int) -> None:
        for future in self._ticks.pop(index, ()):
            if not future.done():
                future.set_result(None)


_pacers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pacer] = weakref.WeakKeyDictionary()


def pacer_for(loop: asyncio.AbstractEventLoop) -> Pacer:
    """The pacer of ``loop`` (made on first use, its grid starting then)."""
    pacer = _pacers.get(loop)
    if pacer is None:
        pacer = _pacers[loop] = Pacer(loop, loop.time())
    return pacer
