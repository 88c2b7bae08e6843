"""The observer feed: bounded, never blocking, and honest about what it dropped."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.eventlog.record import LogRecord
from voicechat.observe.feed import (
    FeedDropped,
    ObservedEvent,
    ObserverFeed,
    SessionClosed,
    SessionOpened,
)


def _event(n: int) -> ObservedEvent:
    record = LogRecord(t=float(n), ts="2026-01-01T00:00:00Z", dir="out",
                       event={"type": "response.create", "n": n})
    return ObservedEvent("ws-1", record)


def test_items_come_out_in_order_then_none_after_close() -> None:
    async def scenario() -> list[object]:
        feed = ObserverFeed(maxsize=10)
        feed.publish(SessionOpened("ws-1", "ws-1", "websocket", 0.0))
        feed.publish(_event(1))
        feed.publish(SessionClosed("ws-1", "app", "closed", 1.0))
        feed.close()
        got: list[object] = []
        while (item := await feed.get()) is not None:
            got.append(item)
        return got

    got = asyncio.run(scenario())
    assert [type(item).__name__ for item in got] == ["SessionOpened", "ObservedEvent",
                                                     "SessionClosed"]


def test_a_slow_consumer_loses_items_but_is_told_how_many() -> None:
    feed = ObserverFeed(maxsize=3)
    for n in range(10):
        feed.publish(_event(n))  # never blocks, even with nobody reading
    assert feed.dropped == 7
    assert feed.get_nowait() == FeedDropped(7)
    kept = [feed.get_nowait() for _ in range(3)]
    assert [item.record.event["n"] for item in kept if isinstance(item, ObservedEvent)] == [0, 1, 2]
    assert feed.get_nowait() is None


def test_a_waiting_consumer_wakes_on_publish() -> None:
    async def scenario() -> object:
        feed = ObserverFeed()
        waiter = asyncio.create_task(feed.get())
        await asyncio.sleep(0)
        feed.publish(_event(5))
        return await asyncio.wait_for(waiter, 5)

    item = asyncio.run(scenario())
    assert isinstance(item, ObservedEvent) and item.record.event["n"] == 5


def test_zero_capacity_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ObserverFeed(maxsize=0)


@given(st.integers(min_value=1, max_value=50), st.lists(st.booleans(), max_size=200))
def test_nothing_is_lost_without_being_counted(maxsize: int, ops: list[bool]) -> None:
    """Publish (True) and take (False) in any order: taken + dropped + queued = published."""
    feed = ObserverFeed(maxsize=maxsize)
    published = taken = reported = 0
    for publish in ops:
        if publish:
            feed.publish(_event(published))
            published += 1
        else:
            item = feed.get_nowait()
            if isinstance(item, FeedDropped):
                reported += item.count
            elif item is not None:
                taken += 1
    queued = 0
    while (item := feed.get_nowait()) is not None:
        if isinstance(item, FeedDropped):
            reported += item.count
        else:
            queued += 1
    assert taken + queued + feed.dropped == published
    assert reported == feed.dropped
