"""An event loop that reads its sockets on the pacer's grid, every other tick, while it runs.

A local server with WebRTC sessions wakes every 20 ms for the shared pacer tick
(:mod:`voicechat.rtc.pacer`) and, in between, once for every burst of incoming RTP: each client
sends on its own 20 ms clock, at its own phase, so with N clients the loop wakes up to N + 1
times per frame period. On this project's VM a wake-up costs ~0.2 ms of CPU before any work
(the scheduler, ``epoll``, a turn of the loop), which was most of a session's cost at low
session counts (``bench/HISTORY.md``, local server).

:class:`CoalescingSelector` changes two things while a timer is near (the pacer running):

- **Held waits.** When the loop would block and a timer is due within :data:`HOLD_S` anyway,
  it sleeps until that timer instead of waiting on the sockets. The loop runs the timer (the
  pacer's tick: the outgoing frames leave first), then reads what came in meanwhile.
- **Polls every :data:`POLL_EVERY_S`.** The sockets are read on every other tick, not every
  tick. Each session's incoming path (ICE, DTLS, SRTP, RTP, the Opus decode, the VAD) then
  runs twice in a row per wake-up, and the second packet finds its code and data in the
  caches the first warmed: the server's CPU per session went down by ~7 % at 2 and 4
  sessions (median of side-by-side windows, ``bench/HISTORY.md``). A poll drains: it goes on
  reading, without waiting, until nothing is ready, since asyncio's datagram transport reads
  one datagram per readiness.

The cost: an incoming packet waits for the next poll, at most :data:`POLL_EVERY_S` (~20 ms on
average), and the kernel queues it meanwhile. The VAD's milliseconds count samples, not wall
time, so its events carry the same positions; only their wall-clock arrival moves, by far less
than the silence a turn needs to end. With no timer near (an idle server, a server with only
WebSocket sessions between deltas) the loop waits on its sockets as usual and reacts at once,
so the hold costs no idle wake-ups; a loop kept busy still polls every :data:`POLL_EVERY_S`.
Wake-ups from other threads (``call_soon_threadsafe``: executor results, signals) wait for
the same poll.

Outgoing audio is unaffected: it leaves on the pacer's timers, which this selector never delays.

**Only while RTP flows, and TCP is read at once.** With no UDP socket registered (no WebRTC
session: a server of WebSocket clients alone) there is no RTP to coalesce and nothing is held:
the loop waits on its sockets as the default one does, and an executor's result (the voice's
synthesis of each sentence) wakes it at once instead of on the next poll. And with RTP, a
WebSocket client's events (``response.create``, ``response.cancel``, a typed turn) and HTTP
requests (signalling, ``/healthz``) arrive on TCP, and a person or a load test waits on each
answer: held for the grid, every answer to a WebSocket client came 20-40 ms late whenever a
session was streaming audio (``bench/bench_load.py``: the typed turn's first audio p50 24 ms at
1 caller, 54 ms at 10). The held wait therefore still wakes for TCP sockets (a second selector
holds just those), and the sockets are read then; RTP (UDP) and the loop's own wake-up pipe (a
Unix socket pair: executor results, aiortc's decoder threads) keep the grid, which is where the
coalescing's saving was.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

#: the longest a ready socket waits for a timer that is due anyway (one frame period)
HOLD_S = 0.020
#: while timers are near, the sockets are polled this often (every other pacer tick)
POLL_EVERY_S = 0.040
#: a poll this close to due counts as due: a tick a little early must not wait a whole period
POLL_SLACK_S = 0.005


class CoalescingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """The platform's default selector, read on a timer's grid while a timer is near.

    ``select(timeout)`` with ``0 < timeout <= hold_s`` sleeps ``timeout`` and returns no event,
    so the loop runs the timer first. The next ``select``, whatever its timeout, polls without
    blocking if a poll is due (``poll_every_s`` since the last one began); ``select(0)``
    between polls returns no event without polling. A poll that finds something starts a
    drain: every ``select`` after it polls without blocking until one finds nothing. Any other
    timeout (``None``, or a timer further than ``hold_s``) selects as usual. A held wait with
    TCP sockets registered waits on those instead of sleeping, and returns them when ready.
    All of this only while a UDP socket is registered; without one every ``select`` is the
    default selector's.

    ``clock`` and ``sleep`` are the real ones but for tests.
    """

    def __init__(self, hold_s: float = HOLD_S, poll_every_s: float = POLL_EVERY_S, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self.hold_s = hold_s
        self.poll_every_s = poll_every_s
        self._clock = clock
        self._sleep = sleep
        self._poll_next = False  # a held wait ended on a due poll: the next select polls
        self._draining = False  # the last poll found something: poll again before any wait
        self._poll_began = -float("inf")  # when the current (or last) drain's first poll ran
        #: the TCP sockets among the registered: a held wait still wakes for them
        self._at_once = selectors.DefaultSelector()
        #: the UDP sockets among the registered (RTP): none, and nothing is held
        self._datagram: set[int] = set()
        #: blocking waits that slept until a timer instead of waking on I/O (for tests, benches)
        self.held = 0
        #: polls of the sockets, blocking or not (for tests, benches)
        self.polls = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = super().register(fileobj, events, data)
        kind = _socket_type(key.fd)
        if kind == socket.SOCK_STREAM:
            self._at_once.register(key.fd, events)
        elif kind == socket.SOCK_DGRAM:
            self._datagram.add(key.fd)
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        key = super().unregister(fileobj)
        if key.fd in self._at_once.get_map():
            self._at_once.unregister(key.fd)
        self._datagram.discard(key.fd)
        return key

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = super().modify(fileobj, events, data)
        if key.fd in self._at_once.get_map():
            self._at_once.modify(key.fd, events)
        return key

    def close(self) -> None:
        self._at_once.close()
        super().close()

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        if not self._datagram:  # no RTP: nothing to coalesce, nothing held
            self._poll_next = False
            return self._poll(timeout)
        if self._poll_next or self._draining:
            self._poll_next = False
            ready = self._poll(0)
            if ready or timeout == 0:
                return ready
            # drained: wait as asked, below
        elif timeout == 0:
            return self._poll(0) if self._poll_due() else self._tcp_ready(0)
        if timeout is not None and 0 < timeout <= self.hold_s:
            self.held += 1
            if self._at_once.get_map():
                tcp = self._tcp_ready(timeout)
                if tcp:
                    return tcp
            else:
                self._sleep(timeout)
            self._poll_next = self._poll_due()
            return []
        return self._poll(timeout)

    def _tcp_ready(self, timeout: float) -> list[tuple[Any, int]]:
        """The TCP sockets ready within ``timeout``, as this selector's own keys."""
        if not self._at_once.get_map():
            return []
        keys = self.get_map()
        return [(keys[key.fd], events) for key, events in self._at_once.select(timeout)
                if key.fd in keys]

    def _poll_due(self) -> bool:
        return self._clock() - self._poll_began >= self.poll_every_s - POLL_SLACK_S

    def _poll(self, timeout: float | None) -> list[tuple[Any, int]]:
        if not self._draining:
            self._poll_began = self._clock()
        self.polls += 1
        ready: list[tuple[Any, int]] = super().select(timeout)
        self._draining = bool(ready)
        return ready


def _socket_type(fd: int) -> int | None:
    """``SOCK_STREAM`` for TCP (a listener or a connection), ``SOCK_DGRAM`` for UDP; ``None``
    for anything else (a pipe, a Unix socket such as the loop's own wake-up pair)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError:  # not a socket (a pipe)
        return None
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        return int(sock.type) if sock.type in (socket.SOCK_STREAM, socket.SOCK_DGRAM) else None
    finally:
        sock.detach()


def coalescing_loop() -> asyncio.AbstractEventLoop:
    """A new selector event loop whose socket waits are held for near timers (``loop_factory``)."""
    return asyncio.SelectorEventLoop(CoalescingSelector())
