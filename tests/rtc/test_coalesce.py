"""The server's event loop holds socket reads for a timer due within a frame period.

Each test runs its own :func:`coalescing_loop` with a real socket pair: what is asserted is the
order in which the loop runs things and whether a wait was held, never how long anything took.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any

from voicechat.rtc.coalesce import HOLD_S, CoalescingSelector, coalescing_loop


def _run(main: Coroutine[Any, Any, None]) -> None:
    loop = coalescing_loop()
    try:
        loop.run_until_complete(main)
    finally:
        loop.close()


def _selector(loop: asyncio.AbstractEventLoop) -> CoalescingSelector:
    selector = loop._selector  # type: ignore[attr-defined]
    assert isinstance(selector, CoalescingSelector)
    return selector


def test_a_ready_socket_waits_for_a_near_timer_which_runs_first() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        order: list[str] = []
        done = asyncio.Event()
        a, b = socket.socketpair()
        a.setblocking(False)

        def on_read() -> None:
            a.recv(64)
            order.append("read")
            done.set()

        loop.add_reader(a.fileno(), on_read)
        try:
            loop.call_later(HOLD_S / 2, order.append, "timer")
            b.send(b"rtp")  # ready before the loop next waits: held for the timer
            await done.wait()
        finally:
            loop.remove_reader(a.fileno())
            a.close()
            b.close()
        assert order == ["timer", "read"]
        assert _selector(loop).held >= 1

    _run(main())


def test_with_no_timer_near_a_ready_socket_wakes_the_loop_at_once() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        selector = _selector(loop)
        a, b = socket.socketpair()
        a.setblocking(False)
        got = asyncio.Event()
        loop.add_reader(a.fileno(), lambda: (a.recv(64), got.set()))
        try:
            far = loop.call_later(10 * HOLD_S, lambda: None)  # further than the hold
            await asyncio.sleep(0)
            held = selector.held
            b.send(b"event")
            await got.wait()
            far.cancel()
            assert selector.held == held, "the wait was not held: no timer was near"
        finally:
            loop.remove_reader(a.fileno())
            a.close()
            b.close()

    _run(main())


def test_near_timers_in_a_row_never_starve_the_sockets() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired = 0
        read_after: list[int] = []
        a, b = socket.socketpair()
        a.setblocking(False)
        got = asyncio.Event()

        def tick() -> None:
            nonlocal fired
            fired += 1
            if fired < 20:
                loop.call_later(HOLD_S / 4, tick)  # a timer is always near

        def on_read() -> None:
            a.recv(64)
            read_after.append(fired)
            got.set()

        loop.add_reader(a.fileno(), on_read)
        try:
            loop.call_later(HOLD_S / 4, tick)
            b.send(b"x")
            await got.wait()
        finally:
            loop.remove_reader(a.fileno())
            a.close()
            b.close()
        assert read_after == [1], "read right after the first held timer, not later"

    _run(main())
