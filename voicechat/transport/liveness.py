"""Noticing a dead link: a server that has sent nothing for too long is gone.

A server that dies without a word — killed, a sleeping laptop, a dropped route — closes nothing
on a WebRTC call: UDP has no connection to break, and ICE's consent checks give up only after
~30 s, all that time showing "connected" with the mic live. The transport calls :meth:`heard`
for everything the server sends (an RTP frame, a data-channel message); a watch task calls
``on_silent(seconds)`` once when nothing came for ``dead_after`` seconds.

Decision: time the client itself could not listen (its event loop stalled, a suspended process)
is not counted as the server's silence — after such a stall the watch starts a fresh window, so
a busy machine never declares a live server dead because its packets were not read yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

STALL_S = 1.0  # a watch tick this late means the loop itself stalled


class Liveness:
    """One watch per connection: ``start()`` once connected, ``heard()`` on traffic."""

    def __init__(self, dead_after: float, on_silent: Callable[[float], None]) -> None:
        self.dead_after = dead_after
        self._on_silent = on_silent
        self._step = min(0.25, dead_after / 4)
        self._last: float | None = None
        self._task: asyncio.Task[None] | None = None

    def heard(self) -> None:
        """The server sent something (cheap: runs for every RTP frame)."""
        if self._task is not None:
            self._last = self._task.get_loop().time()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._last = loop.time()
        self._task = loop.create_task(self._watch(), name="link-liveness")

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while True:
            await asyncio.sleep(self._step)
            now = loop.time()
            if now - tick > STALL_S:
                self._last = now  # we were not listening: start a fresh window
            tick = now
            silent = now - (self._last if self._last is not None else now)
            if silent > self.dead_after:
                self._task = None
                self._on_silent(silent)
                return
