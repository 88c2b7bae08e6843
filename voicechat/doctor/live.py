"""The doctor on a live session: each event in, the problems it completes out, at once.

``voicechat proxy`` and ``voicechat watch`` feed every event of a session they watch through
one :class:`LiveDoctor`. It is the file doctor's :class:`~voicechat.doctor.engine.RuleEngine`
fed one event at a time, so a developer sees ``problem response-cancel-without-response`` the
moment the cancel comes back rejected, worded as ``voicechat doctor`` words it afterwards.
"""

from __future__ import annotations

from typing import Any

from voicechat.doctor.engine import Occurrence, RuleEngine
from voicechat.doctor.model import Finding
from voicechat.doctor.rules.latency import SlowFirstAudio
from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.record import Direction
from voicechat.latency import BargeIn, TurnLatency


class LiveDoctor:
    """One watched session's rule state; bounded like the file doctor's (rules keep little)."""

    def __init__(self) -> None:
        self._tracker = DialectTracker()
        self._engine = RuleEngine(self._tracker)
        self._count = 0
        self._timer = next(r for r in self._engine.rules if isinstance(r, SlowFirstAudio))
        self._timed = (0, 0)  # turns and barge-ins already handed out by :meth:`timed`

    def feed(self, t: float | None, direction: Direction, event: dict[str, Any],
             ts: str | None = None) -> list[Occurrence]:
        """Look at one event (already redacted); the problems it completed, in rule order."""
        if not isinstance(event.get("type"), str):
            return []
        self._count += 1
        entry = Entry(index=self._count - 1, line=self._count, t=t, ts=ts, dir=direction,
                      event=event, canonical=self._tracker.canonical(event, direction))
        fallback = f"{entry.where()} {entry.type}"
        return [self._engine.occurrence(rule, fallback) for rule in self._engine.feed(entry)]

    def finish(self, end_t: float | None = None) -> list[Occurrence]:
        """The session ended: the problems only its end can show (e.g. never answered).

        ``end_t``: when it ended, on the events' ``t`` scale, if later than its last event (a
        watcher knows when the connection closed; a text log's own lines show it): a session
        that stayed open long after its last event is evidence in itself (a muted mic)."""
        self._engine.context.timeline_end = end_t
        return [self._engine.occurrence(rule, "at the end of the session")
                for rule in self._engine.conclude()]

    def timed(self) -> list[TurnLatency | BargeIn]:
        """The turns and barge-ins timed since the last call (the ``slow-first-audio`` rule's
        timeline: the proxy and watch show each answer's latency as it happens)."""
        turns, barge_ins = self._timer.turns, self._timer.barge_ins
        done_turns, done_barges = self._timed
        if done_turns == len(turns) and done_barges == len(barge_ins):
            return []
        self._timed = (len(turns), len(barge_ins))
        return [*turns[done_turns:], *barge_ins[done_barges:]]

    def findings(self) -> list[Finding]:
        """Every problem so far, folded per rule as ``voicechat doctor`` reports them."""
        return self._engine.findings()

    @property
    def events(self) -> int:
        return self._count
