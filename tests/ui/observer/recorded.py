"""Feed items made from real recorded sessions (tests/fixtures/realtime), for the observer tests.

The events are the recorded ones, read by the one log reader; only the session ids, the times
(the bare ``.jsonl`` captures carry none: 0.1 s apart) and the feed envelopes are ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from voicechat.doctor.live import LiveDoctor
from voicechat.eventlog import read_entries
from voicechat.eventlog.record import LogRecord
from voicechat.observe.feed import (
    ObservedEvent,
    ObservedItem,
    ObserverFeed,
    ProblemSeen,
    SessionClosed,
    SessionOpened,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "realtime"
BETA_CALL = FIXTURES / "beta_webrtc_bill_negotiation_short.jsonl"  # typed "Hello!", cut off
GA_CALL = FIXTURES / "ga_webrtc_persona_hangs_up.json"  # GA WebRTC, in and out events
GA_WS = FIXTURES / "ga_websocket_sip_gateway_excerpt.jsonl"  # speech, response in progress

def events(session: str, path: Path) -> list[ObservedEvent]:
    out = []
    for i, entry in enumerate(read_entries(path)):
        t = entry.t if entry.t is not None else round(i * 0.1, 3)
        out.append(ObservedEvent(session, LogRecord(t, "", entry.dir, entry.event)))
    return out


def real_problems(session: str, path: Path) -> list[ProblemSeen]:
    """What the doctor's rules find live in a recorded session (the real rules and wording)."""
    doctor = LiveDoctor()
    found = []
    t = 0.0
    for item in events(session, path):
        record = item.record
        t = record.t
        found += [ProblemSeen(session, o.rule, o.title, o.detail, o.fix, t)
                  for o in doctor.feed(t, record.dir, record.event)]
    return found + [ProblemSeen(session, o.rule, o.title, o.detail, o.fix, t)
                    for o in doctor.finish()]


_GA_PROBLEMS = {p.rule_id: p for p in real_problems("rtc_ga", GA_CALL)}
#: The GA call commits an empty buffer (found on the server's error).
PROBLEM = _GA_PROBLEMS["commit-too-small"]
#: The GA call cancels when no response is active (found on the next error); tests publish it
#: later, to see a problem arrive while its session is on screen.
LIVE_PROBLEM = _GA_PROBLEMS["cancel-without-response"]


def two_sessions() -> list[ObservedItem]:
    """A beta call (closed by the app, no problem), then a GA call still open, with the problem
    the doctor's rules found in it."""
    items: list[ObservedItem] = [
        SessionOpened("rtc_beta", "rtc_beta beta WebRTC from 127.0.0.1:50312", "sideband", 0.0)]
    items += events("rtc_beta", BETA_CALL)
    items += [SessionClosed("rtc_beta", "app", "hung up", 7.5),
              SessionOpened("rtc_ga", "rtc_ga GA WebRTC from 127.0.0.1:50340", "sideband", 8.0)]
    items += events("rtc_ga", GA_CALL)
    items.append(PROBLEM)
    return items


class FakeProducer:
    """Publishes ``items`` into the feed, then waits until cancelled (like a running proxy)."""

    def __init__(self, feed: ObserverFeed, items: Iterable[ObservedItem],
                 fail: BaseException | None = None) -> None:
        self.feed = feed
        self.items = list(items)
        self.fail = fail
        self.release = asyncio.Event()  # set it to publish what was added to `later`
        self.later: list[ObservedItem] = []
        self.started = False
        self.cancelled = False
        self.finished = False

    async def __call__(self) -> None:
        self.started = True
        for item in self.items:
            self.feed.publish(item)
        if self.fail is not None:
            raise self.fail
        try:
            await self.release.wait()
            for item in self.later:
                self.feed.publish(item)
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise



def scene(second: bool = False) -> tuple[Any, Callable[[Any], Awaitable[None]]]:
    """The observer with both recorded sessions read, for snapshots and the README pictures;
    ``second`` shows the GA call with a problem that appeared while it was open."""
    from voicechat.ui.observer.app import ObserverApp

    feed = ObserverFeed()
    producer = FakeProducer(feed, two_sessions())
    producer.later = [LIVE_PROBLEM]
    app = ObserverApp(feed, title="voicechat watch", producer=producer, tick_s=0.01)

    async def run_before(pilot: Any) -> None:
        for _ in range(500):
            if app.model.events == 234:
                break
            await pilot.pause(0.02)
        await pilot.press("2" if second else "1")
        if second:
            producer.release.set()
            for _ in range(500):
                if app.model.sessions["rtc_ga"].problems:
                    break
                await pilot.pause(0.02)
        await pilot.pause(0.1)
        app.clear_notifications()
        await pilot.pause()

    return app, run_before
