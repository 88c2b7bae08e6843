"""The proxy in-process on 127.0.0.1:0 in front of a real server, and what its feed carried."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import until
from voicechat.commands.observing import Clock, tap_factory
from voicechat.observe.feed import (
    ObservedEvent,
    ObservedItem,
    ProblemSeen,
    SessionClosed,
    SessionOpened,
)
from voicechat.observe.recording import RecordingFeed, SessionRecordings
from voicechat.observe.upstream import resolve_upstream
from voicechat.proxy.app import RealtimeProxy


@dataclass
class Seen:
    """Everything a consumer took off the feed, in order."""

    items: list[ObservedItem] = field(default_factory=list)

    def opened(self) -> list[SessionOpened]:
        return [i for i in self.items if isinstance(i, SessionOpened)]

    def closed(self, session: str) -> SessionClosed | None:
        return next((i for i in self.items
                     if isinstance(i, SessionClosed) and i.session == session), None)

    def events(self, session: str, direction: str | None = None) -> list[dict[str, object]]:
        return [i.record.event for i in self.items
                if isinstance(i, ObservedEvent) and i.session == session
                and (direction is None or i.record.dir == direction)]

    def types(self, session: str, direction: str | None = None) -> list[object]:
        return [e.get("type") for e in self.events(session, direction)]

    def problems(self, session: str) -> list[ProblemSeen]:
        return [i for i in self.items if isinstance(i, ProblemSeen) and i.session == session]


@dataclass
class Running:
    proxy: RealtimeProxy
    feed: RecordingFeed
    seen: Seen

    @property
    def base(self) -> str:
        return self.proxy.base_url

    @property
    def ws_base(self) -> str:
        return self.proxy.base_url.replace("http", "ws", 1)

    async def session_opened(self, number: int = 1) -> SessionOpened:
        return await until(lambda: len(self.seen.opened()) >= number and self.seen.opened()[
            number - 1], f"session {number} to open; saw {self.seen.opened()}")

    async def closed(self, session: str) -> SessionClosed:
        return await until(lambda: self.seen.closed(session), f"{session} to close")


@asynccontextmanager
async def running_proxy(upstream: str, *, feed_size: int = 10_000, consume: bool = True,
                        record: Path | None = None, tracing: Any = None
                        ) -> AsyncIterator[Running]:
    """``tracing``: a started ``voicechat.telemetry.Telemetry`` (each session's trace)."""
    recordings = SessionRecordings(record) if record is not None else None
    feed = RecordingFeed(recordings, maxsize=feed_size)
    clock = Clock()
    proxy = RealtimeProxy(resolve_upstream(upstream, {}), feed,
                          tap_factory(feed, clock, tracing, upstream), clock, port=0)
    seen = Seen()

    async def consumer() -> None:
        while (item := await feed.get()) is not None:
            seen.items.append(item)

    await proxy.start()
    writer = asyncio.create_task(recordings.run()) if recordings is not None else None
    reader = asyncio.create_task(consumer()) if consume else None
    try:
        yield Running(proxy, feed, seen)
    finally:
        await proxy.stop()
        if recordings is not None:
            await recordings.aclose(writer)
        feed.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(reader, 10)
