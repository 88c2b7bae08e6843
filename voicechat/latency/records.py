"""The timeline fed from event-log records, whatever the dialect: what live faces use.

The runtime's record stream, the proxy's and watch's taps, replay and export all hold events
as they crossed the wire (beta or GA); the timeline reads GA names, so each event is mapped
first, by the same :class:`~voicechat.eventlog.dialects.DialectTracker` the doctor uses.
"""

from __future__ import annotations

from typing import Any

from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.record import Direction
from voicechat.latency.model import TurnLatency
from voicechat.latency.timeline import Result, TurnTimeline

#: The records this package writes into the stream it reads (never fed back to itself).
TURN_RECORD = "local.turn.latency"
BARGE_RECORD = "local.turn.bargein"


class RecordTimeline:
    """:class:`TurnTimeline` over records: ``feed(t, dir, event)`` with wire events."""

    def __init__(self) -> None:
        self._tracker = DialectTracker()
        self.timeline = TurnTimeline()

    def feed(self, t: float | None, direction: Direction, event: dict[str, Any]) -> list[Result]:
        kind = event.get("type")
        if not isinstance(kind, str) or kind in (TURN_RECORD, BARGE_RECORD):
            return []
        return self.timeline.feed(t, direction, self._tracker.canonical(event, direction))

    def finish(self) -> list[Result]:
        return self.timeline.finish()


def as_record(result: Result) -> dict[str, Any]:
    """The ``local.turn.latency`` / ``local.turn.bargein`` event for a result."""
    kind = TURN_RECORD if isinstance(result, TurnLatency) else BARGE_RECORD
    return {"type": kind, **result.to_json()}
