"""The session's turn timeline: every answered turn timed as the core takes its events in.

Why in the core (issue 39): the core already dispatches every server event by type, sends
every client event and hears of playback, so the timeline (:mod:`voicechat.latency`) is fed
exactly the events it reads, with the core's own ``now``, and costs nothing on the rest (the
output deltas that are most of a session are handed on only while one can matter,
:attr:`~voicechat.latency.timeline.TurnTimeline.wants`:
``bench/bench_core.py`` prints events/s with it on and off). Each result leaves as a
:class:`~voicechat.core.actions.LocalRecord` (``local.turn.latency``, ``local.turn.bargein``):
the event log keeps it beside the events it comes from, and the faces word it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voicechat.core.effects import Effects
from voicechat.latency.model import as_record
from voicechat.latency.timeline import READS_LOCAL, READS_OUT, Result, TurnTimeline


class TurnTiming:
    """Feeds the timeline the client events sent and the local facts, and queues its results
    as local records. The server events go straight to :attr:`timeline` (the session hands
    an event to its handler in :attr:`TurnTimeline.wants`, if there is one, and takes what
    completed): two calls less on the hot path."""

    def __init__(self, out: Effects) -> None:
        self.timeline = TurnTimeline(plays_locally=True)  # the runtime reports playback
        self._out = out
        self.now = 0.0
        """The time of the call being handled (the session sets it first thing)."""

    def sent(self, event: Mapping[str, Any]) -> None:
        """A client event the session sent (canonical, before it is rendered)."""
        if event.get("type") in READS_OUT:
            self.take(self.timeline.feed(self.now, "out", event))

    def local(self, event: Mapping[str, Any]) -> None:
        """A local fact (playback started or drained) or the core's own local record."""
        if event.get("type") in READS_LOCAL:
            self.take(self.timeline.feed(self.now, "local", event))

    def take(self, results: Sequence[Result]) -> None:
        """Queue what the timeline completed as ``local.turn.*`` records."""
        for result in results:
            self._out.record(as_record(result))
