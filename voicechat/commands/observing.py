"""What ``proxy`` and ``watch`` share: the session clock, the taps, and the run (UI or lines).

Both produce into one :class:`~voicechat.observe.feed.ObserverFeed`; ``--no-ui`` prints it with
the feed printer until interrupted, otherwise the observer TUI consumes it and runs the producer
in its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from voicechat.observe.feed import ObserverFeed
from voicechat.observe.tap import Tap

if TYPE_CHECKING:
    from voicechat.telemetry.export import Telemetry

Producer = Callable[[], Awaitable[None]]


class Clock:
    """Seconds since the command started: the ``t`` of every observed item."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self._start


def tap_factory(feed: ObserverFeed, clock: Clock, tracing: Telemetry | None = None,
                upstream: str = "") -> Callable[[str], Tap]:
    """Build a session's tap: redaction, the event record and the live doctor (SessionTap),
    and with ``tracing`` (OpenTelemetry, issue 39) the session's trace.

    A session's times count from its own start (``t0``), as the event log's contract says: a
    recorded session is a log like any other.
    """
    from voicechat.observe.live import SessionTap

    def make(session: str) -> Tap:
        t0 = clock()
        trace = None
        if tracing is not None:
            from voicechat.telemetry import session_attributes

            trace = tracing.session(f"voicechat {session}", session_attributes(
                model="", server=upstream, proxy=True), time.time())
        return SessionTap(session, feed, clock, t0, trace=trace)

    return make


def start_tracing(say_notice: Callable[[str], None]) -> Telemetry | None:
    """OpenTelemetry export for every watched session when the ``OTEL_*`` variables ask for
    it; a notice when it cannot start (the extra missing, a bad setting). Never raises."""
    from voicechat import telemetry

    started = telemetry.start(None, on_notice=say_notice)
    if started.notice:
        say_notice(started.notice)
    return started.telemetry


async def stop_tracing(tracing: Telemetry | None) -> None:
    """Let the export flush what the sessions left, at most 2 s, off the event loop."""
    if tracing is not None:
        await asyncio.to_thread(tracing.shutdown, 2.0)


def run_ui(feed: ObserverFeed, title: str, producer: Producer) -> None:
    """The observer TUI; it starts ``producer`` on mount and cancels it on exit. A producer
    that raises is shown in the app as a problem (redacted), and the app stays open."""
    from voicechat.ui.observer.app import ObserverApp

    ObserverApp(feed, title=title, producer=producer).run()


async def run_lines(feed: ObserverFeed, producer: Producer, out: TextIO,
                    stop: asyncio.Event | None = None) -> None:
    """``--no-ui``: print the feed while ``producer`` runs, until it ends or a signal arrives."""
    from voicechat.observe.printer import print_feed

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    printer = asyncio.create_task(print_feed(feed, out))
    work = asyncio.create_task(producer())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work, stopper):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        feed.close()
        await printer
        out.flush()
    if work.done() and not work.cancelled() and work.exception() is not None:
        raise work.exception()  # type: ignore[misc]


def say(message: str, out: TextIO | None = None) -> None:
    print(message, file=out or sys.stdout, flush=True)
