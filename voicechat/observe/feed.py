"""The observed-session feed: what the proxy and the sideband watcher report, and how.

The app being watched must never wait on us (issue 12: "the app's traffic never waits on the UI
or the log"), so :class:`ObserverFeed` is a bounded queue whose :meth:`~ObserverFeed.publish`
never blocks: when the consumer falls behind, items are dropped and counted, and the consumer
is told how many with a :class:`FeedDropped` before the next item it does get.

Directions follow the event log's contract: ``out`` is what the watched app sent to the
server, ``in`` what the server sent to the app, ``local`` what the proxy itself noticed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Literal

from voicechat.eventlog.record import LogRecord

SessionKind = Literal["websocket", "sideband", "rest"]
ClosedBy = Literal["app", "upstream", "watcher", "proxy"]


@dataclass(frozen=True, slots=True)
class SessionOpened:
    """A watched session started: a proxied WebSocket, or a call's sideband."""

    session: str  # stable id within this run, e.g. "ws-1" or the call id
    label: str  # what a person recognises: "ws-1 GA gpt-realtime from 127.0.0.1:50312"
    kind: SessionKind
    t: float  # seconds since the proxy/watch started


@dataclass(frozen=True, slots=True)
class ObservedEvent:
    """One event of a watched session, already redacted, as the event log stores it."""

    session: str
    record: LogRecord


@dataclass(frozen=True, slots=True)
class ProblemSeen:
    """A doctor rule's pattern completed in a live session (same ids and wording as ``doctor``)."""

    session: str
    rule_id: str
    title: str
    evidence: str
    fix: str
    t: float


@dataclass(frozen=True, slots=True)
class TurnTimed:
    """An answer of a watched session started playing: its latency, worded (issue 39)."""

    session: str
    item_id: str | None  # the answer's message item, where the transcript shows it
    line: str  # "0.82 s to first audio · VAD 0.50 · model 0.21" or "barge-in: …"
    first_audio_ms: float | None  # None for a barge-in
    t: float


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """A watched session ended, and which side ended it."""

    session: str
    by: ClosedBy
    reason: str
    t: float


@dataclass(frozen=True, slots=True)
class FeedDropped:
    """The consumer fell behind and ``count`` items were dropped before the next one."""

    count: int


ObservedItem = (SessionOpened | ObservedEvent | ProblemSeen | TurnTimed | SessionClosed
                | FeedDropped)


class ObserverFeed:
    """A bounded, never-blocking queue from producers (proxy, watcher) to one consumer."""

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: deque[ObservedItem] = deque()
        self._maxsize = maxsize
        self._unreported_drops = 0
        self.dropped = 0  # every item ever dropped, for the closing summary
        self._ready = asyncio.Event()
        self._closed = False

    def publish(self, item: ObservedItem) -> None:
        """Queue ``item``, or drop and count it when the consumer is behind; never blocks."""
        if self._closed:
            return
        if len(self._items) >= self._maxsize:
            self.dropped += 1
            self._unreported_drops += 1
            return
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """No more items: :meth:`get` returns ``None`` once the queue is drained."""
        self._closed = True
        self._ready.set()

    def get_nowait(self) -> ObservedItem | None:
        """The next item, a :class:`FeedDropped` first if drops happened, or ``None``."""
        if self._unreported_drops:
            count, self._unreported_drops = self._unreported_drops, 0
            return FeedDropped(count)
        if self._items:
            return self._items.popleft()
        if not self._closed:
            self._ready.clear()
        return None

    async def get(self) -> ObservedItem | None:
        """Wait for the next item; ``None`` once closed and drained."""
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            if self._closed:
                return None
            await self._ready.wait()
