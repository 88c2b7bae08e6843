"""``--no-ui`` output of ``proxy`` and ``watch``: one line per event, session and problem.

Lines are grep-able by design: every problem line starts ``problem RULE_ID``, every session
line ``session``; event lines are the chat's ``--no-ui`` summary prefixed with the session id
so several apps' sessions can share one terminal. Everything from the wire goes through
:func:`~voicechat.protocol.text.printable` (a watched app's text must not drive our terminal).
"""

from __future__ import annotations

from typing import TextIO

from voicechat.eventlog.gemini_frames import frame_event
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer
from voicechat.eventlog.summary import QUIET_TYPES, format_time, summary_line
from voicechat.observe.feed import (
    FeedDropped,
    ObservedEvent,
    ObservedItem,
    ObserverFeed,
    ProblemSeen,
    SessionClosed,
    SessionOpened,
    TurnTimed,
)
from voicechat.protocol.text import printable


def item_lines(item: ObservedItem, *, quiet: bool = True,
               summarizer: Summarizer | None = None) -> list[str]:
    """The lines for one feed item (none for flood events when ``quiet``); ``summarizer``:
    the memory of the item's session (tool names and durations across its events)."""
    if isinstance(item, ObservedEvent):
        record = _typed(item.record)
        if quiet and record.event.get("type") in QUIET_TYPES:
            return []
        line = summary_line(record.t, record.dir, record.event) if summarizer is None \
            else summarizer.line(record)
        return [f"[{printable(item.session)}] " + line.lstrip()]
    if isinstance(item, ProblemSeen):
        fix = item.fix.splitlines()
        lines = [f"problem {item.rule_id} [{printable(item.session)}] {printable(item.title)}: "
                 f"{printable(item.evidence)}", f"  fix: {printable(fix[0]) if fix else ''}"]
        lines.extend(f"       {printable(line)}" for line in fix[1:])
        return lines
    if isinstance(item, TurnTimed):  # grep-able like the problems: "latency [ws-1] 0.82 s …"
        kind = "latency" if item.first_audio_ms is not None else "bargein"
        return [f"{kind} [{printable(item.session)}] {printable(item.line)}"]
    if isinstance(item, SessionOpened):
        return [f"session {printable(item.session)} opened at {format_time(item.t).strip()}s: "
                f"{printable(item.label)}"]
    if isinstance(item, SessionClosed):
        return [f"session {printable(item.session)} closed by the {item.by} at "
                f"{format_time(item.t).strip()}s: {printable(item.reason)}"]
    assert isinstance(item, FeedDropped)
    return [f"dropped {item.count} event(s): the output fell behind the traffic (the app's "
            "traffic was not slowed)"]


class FeedPrinter:
    """Writes feed items to ``out``; a closed ``out`` stops printing, never the proxy."""

    def __init__(self, out: TextIO, *, quiet: bool = True) -> None:
        self._out = out
        self._quiet = quiet
        self._summarizers: dict[str, Summarizer] = {}  # per open session
        self.broken = False

    def print_item(self, item: ObservedItem) -> None:
        if self.broken:
            return
        summarizer = None
        if isinstance(item, ObservedEvent):
            summarizer = self._summarizers.get(item.session)
            if summarizer is None:
                summarizer = self._summarizers[item.session] = Summarizer()
        elif isinstance(item, SessionClosed):
            self._summarizers.pop(item.session, None)
        try:
            for line in item_lines(item, quiet=self._quiet, summarizer=summarizer):
                self._out.write(line + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.broken = True  # `voicechat proxy --no-ui | head`: keep relaying, stop printing


async def print_feed(feed: ObserverFeed, out: TextIO, *, quiet: bool = True) -> None:
    """Print every item until the feed is closed and drained."""
    printer = FeedPrinter(out, quiet=quiet)
    while (item := await feed.get()) is not None:
        printer.print_item(item)


def _typed(record: LogRecord) -> LogRecord:
    """A Gemini Live frame (recorded as it came, with no ``type``) as the summary reads it:
    typed ``gemini.<message>``, as every reader of a Gemini log types it."""
    if "type" in record.event:
        return record
    typed = frame_event(record.event)
    if typed is None:
        return record
    return LogRecord(t=record.t, ts=record.ts, dir=record.dir, event=typed[0])
