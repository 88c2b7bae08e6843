"""The server's event loop holds socket reads for a timer due within a frame period.

Each test runs its own :func:`coalescing_loop` with a real socket pair: what is asserted is the
order in which the loop runs things and whether a wait was held, never how long anything took.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import selectors
import socket
from collections.abc import Coroutine, Iterator
from typing import Any, NamedTuple

import pytest

from voicechat.rtc.coalesce import (
    HOLD_S,
    POLL_EVERY_S,
    POLL_SLACK_S,
    CoalescingSelector,
    coalescing_loop,
)


def _run(main: Coroutine[Any, Any, None], *, rtp: bool = True) -> None:
    """Run ``main`` on a coalescing loop; ``rtp``: with a UDP socket registered, as a WebRTC
    session's is (the loop coalesces only then), never ready."""
    loop = coalescing_loop()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    if rtp:
        loop.add_reader(udp.fileno(), lambda: None)
    try:
        loop.run_until_complete(main)
    finally:
        if rtp:
            loop.remove_reader(udp.fileno())
        udp.close()
        loop.close()


def _run_stretched(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on a coalescing loop with a stretched grid (a 0.5 s hold, a 1 s poll), so
    a stalled machine cannot make a test's timer due before the loop first waits."""
    loop = asyncio.SelectorEventLoop(CoalescingSelector(hold_s=0.5, poll_every_s=1.0))
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


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair on 127.0.0.1, as a WebSocket client's connection arrives."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return server, client


def test_a_ready_tcp_socket_is_read_before_a_near_timer_and_udp_still_waits() -> None:
    """A WebSocket client's event does not wait for the audio grid; RTP on UDP still does."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        order: list[str] = []
        tcp_read, udp_read = asyncio.Event(), asyncio.Event()
        server, client = _tcp_pair()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for sock in (server, udp):
            sock.setblocking(False)

        def on_tcp() -> None:
            server.recv(64)
            order.append("tcp")
            tcp_read.set()

        def on_udp() -> None:
            udp.recv(64)
            order.append("udp")
            udp_read.set()

        loop.add_reader(server.fileno(), on_tcp)
        loop.add_reader(udp.fileno(), on_udp)
        try:
            await asyncio.sleep(0)
            loop.call_later(0.4, order.append, "timer")
            sender.sendto(b"rtp", udp.getsockname())
            client.send(b'{"type": "response.create"}')
            await tcp_read.wait()
            await udp_read.wait()
        finally:
            loop.remove_reader(server.fileno())
            loop.remove_reader(udp.fileno())
            for sock in (server, client, udp, sender):
                sock.close()
        assert order == ["tcp", "timer", "udp"], order

    _run_stretched(main())


def test_without_rtp_nothing_waits_for_a_near_timer() -> None:
    """A server of WebSocket clients alone: an executor's result (its wake-up comes on the
    loop's Unix socket pair) and any ready socket are handled before a near timer."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        order: list[str] = []
        done = asyncio.Event()
        ready, writer = socket.socketpair()
        ready.setblocking(False)
        loop.add_reader(ready.fileno(), lambda: (ready.recv(64), order.append("read")))
        try:
            await asyncio.sleep(0)
            loop.call_later(0.4, lambda: (order.append("timer"), done.set()))
            writer.send(b"x")
            result = loop.run_in_executor(None, lambda: "synthesized")
            result.add_done_callback(lambda _: order.append("executor"))
            await done.wait()
        finally:
            loop.remove_reader(ready.fileno())
            ready.close()
            writer.close()
        assert order.index("timer") == 2, order
        assert _selector(loop).held == 0

    _run_stretched(main())


def test_only_tcp_sockets_are_read_at_once() -> None:
    """Listeners and connections on TCP; not UDP, not the loop's own Unix socket pair, not a
    pipe. Unregistering leaves nothing behind."""
    selector = CoalescingSelector()
    server, client = _tcp_pair()
    listener = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    unix_a, unix_b = socket.socketpair()
    pipe_r, pipe_w = os.pipe()
    try:
        for fileobj in (server, listener, udp, unix_a, pipe_r):
            selector.register(fileobj, selectors.EVENT_READ)
        assert set(selector._at_once.get_map()) == {server.fileno(), listener.fileno()}
        assert selector._datagram == {udp.fileno()}
        selector.modify(server, selectors.EVENT_READ | selectors.EVENT_WRITE)
        assert selector._at_once.get_key(server.fileno()).events == (
            selectors.EVENT_READ | selectors.EVENT_WRITE)
        for fileobj in (server, listener, udp, unix_a, pipe_r):
            selector.unregister(fileobj)
        assert not selector._at_once.get_map() and not selector._datagram
    finally:
        selector.close()
        for sock in (server, client, listener, udp, unix_a, unix_b):
            sock.close()
        os.close(pipe_r)
        os.close(pipe_w)


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
            if fired < 40:
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
        # read at the first due poll: within one poll period of held ticks (fewer if the
        # timers ran late, since the period is wall time), long before the chain ends
        assert len(read_after) == 1
        assert 1 <= read_after[0] <= math.ceil(POLL_EVERY_S / (HOLD_S / 4)) + 1

    _run(main())


def test_a_poll_reads_every_queued_datagram_before_the_next_tick() -> None:
    """asyncio's datagram transport reads one datagram per readiness: the poll must drain."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        fired = 0
        got: list[int] = []
        all_in = asyncio.Event()

        class Receiver(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                got.append(fired)
                if len(got) == 5:
                    all_in.set()

        def tick() -> None:
            nonlocal fired
            fired += 1
            if not all_in.is_set() and fired < 100:
                loop.call_later(HOLD_S / 2, tick)

        transport, _ = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            loop.call_later(HOLD_S / 2, tick)
            await asyncio.sleep(0)
            for i in range(5):  # queued in the kernel before the loop next polls
                sender.sendto(b"rtp %d" % i, transport.get_extra_info("sockname"))
            await asyncio.wait_for(all_in.wait(), 5)
        finally:
            sender.close()
            transport.close()
        assert len(set(got)) == 1, f"read over several ticks: {got}"

    _run(main())


class _FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class _Rig(NamedTuple):
    """A selector on a fake clock, watching ``reader``; ``writer`` makes it ready."""

    selector: CoalescingSelector
    fake: _FakeTime
    reader: socket.socket
    writer: socket.socket

    def drain(self) -> None:
        """Read what is queued and let the selector's drain end, as the loop would."""
        while self.selector.select(0):
            self.reader.recv(1024)


@pytest.fixture
def rig() -> Iterator[_Rig]:
    fake = _FakeTime()
    selector = CoalescingSelector(clock=fake.clock, sleep=fake.sleep)
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    selector.register(reader, selectors.EVENT_READ)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a WebRTC session's: coalescing on
    selector.register(rtp, selectors.EVENT_READ)
    yield _Rig(selector, fake, reader, writer)
    selector.close()
    for sock in (reader, writer, rtp):
        sock.close()


def test_between_polls_a_ready_socket_waits_for_the_next_due_one(rig: _Rig) -> None:
    selector, fake = rig.selector, rig.fake
    assert selector.select(0.02) == []  # held: slept until the timer
    assert fake.slept == [0.02]
    rig.writer.send(b"x")
    assert selector.select(0)  # the first poll is due at once
    rig.reader.recv(64)
    assert selector.select(0) == []  # drained
    rig.writer.send(b"y")  # arrives 0 ms after the poll began
    polls = selector.polls
    assert selector.select(0.02) == []  # the next tick (20 ms): held, no poll due
    assert selector.select(0) == []
    assert selector.polls == polls, "read between polls"
    assert selector.select(0.02) == []  # the tick after (40 ms): a poll is due
    assert selector.select(0.015)  # polled without waiting, whatever the timeout
    assert fake.slept == [0.02, 0.02, 0.02]


def test_a_drain_polls_before_any_wait_until_nothing_is_ready(rig: _Rig) -> None:
    selector, fake = rig.selector, rig.fake
    rig.writer.send(b"x")
    assert selector.select(None)  # no timer near: a plain wait, ready at once
    held = selector.held
    assert selector.select(0.01), "still ready: the drain polls, no held sleep"
    assert selector.held == held and fake.slept == []
    rig.reader.recv(64)
    assert selector.select(0.01) == []  # nothing left: the drain ends, then the held wait
    assert selector.held == held + 1 and fake.slept == [0.01]


def test_a_busy_loop_polls_once_a_period(rig: _Rig) -> None:
    selector, fake = rig.selector, rig.fake
    rig.writer.send(b"x")
    rig.drain()
    polled_at: list[float] = []
    rig.writer.send(b"y")
    for _ in range(40):  # ready callbacks every 5 ms: the loop never blocks
        fake.now += 0.005
        polls = selector.polls
        if selector.select(0):
            rig.reader.recv(64)
            rig.drain()
            rig.writer.send(b"y")
        if selector.polls != polls:
            polled_at.append(fake.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(polled_at)]
    assert len(polled_at) >= 4
    assert all(POLL_EVERY_S - POLL_SLACK_S <= gap <= POLL_EVERY_S for gap in gaps), gaps


def test_a_far_timer_or_none_waits_on_the_sockets(rig: _Rig) -> None:
    rig.drain()
    rig.writer.send(b"x")
    assert rig.selector.select(0.5)  # further than the hold: a plain wait, ready at once
    assert rig.fake.slept == [] and rig.selector.held == 0
