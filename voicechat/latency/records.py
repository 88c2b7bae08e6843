"""The timeline fed from event-log records, whatever the dialect: what live faces use.

The runtime's record stream, the proxy's and watch's taps, replay and export all hold events
as they crossed the wire (beta or GA); the timeline reads GA names, so each event is mapped
first, by the same :class:`~voicechat.eventlog.dialects.DialectTracker` the doctor uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.summarizer import PacedRecord
from voicechat.latency.model import TurnLatency
from voicechat.latency.text import barge_line, turn_line
from voicechat.latency.timeline import (
    DELTAS,
    NOTHING,
    READS_IN,
    READS_LOCAL,
    READS_OUT,
    Result,
    TurnTimeline,
)
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES

_GA_NAME = BETA_TO_GA_SERVER_NAMES
#: Every name the timeline reads, in either dialect (beta names of the same events included):
#: the one check most records get.
_BETA_NAMES = {beta for beta, ga in BETA_TO_GA_SERVER_NAMES.items()
               if ga in READS_IN | READS_OUT}
_DELTA_NAMES = DELTAS | {beta for beta, ga in BETA_TO_GA_SERVER_NAMES.items() if ga in DELTAS}
_READ_NAMES = (READS_IN | READS_OUT | READS_LOCAL | frozenset(_BETA_NAMES)
               | {"transcription_session.update"}) - _DELTA_NAMES


class RecordTimeline:
    """:class:`TurnTimeline` over records: ``feed(t, dir, event)`` with wire events."""

    def __init__(self) -> None:
        self._tracker = DialectTracker()
        self.timeline = TurnTimeline()

    def feed(self, t: float | None, direction: Direction, event: dict[str, Any]
             ) -> Sequence[Result]:
        kind = event.get("type")
        timeline = self.timeline
        if kind in _DELTA_NAMES:  # most events: passed over while no delta can matter
            if not timeline.deltas_matter or direction != "in":
                return NOTHING
            if kind in _GA_NAME and self._tracker.server is not None:
                # a delta's fields are the same in both dialects: only its name is mapped
                return timeline.feed(t, direction, {**event, "type": _GA_NAME[kind]})
        elif kind not in _READ_NAMES:
            return NOTHING
        return timeline.feed(t, direction, self._tracker.canonical(event, direction))

    def finish(self) -> list[Result]:
        return self.timeline.finish()


def latency_lines(timeline: RecordTimeline, record: LogRecord) -> list[str]:
    """What ``record`` completed, worded (``latency: …``, ``barge-in: …``), for a face that
    prints lines (replay, the proxy's and watch's lines). A replayed record whose time was
    made up (``PacedRecord``: the log had none) is fed without it, so the figures run on the
    mic's audio clock instead of on the pacing."""
    t = None if isinstance(record, PacedRecord) else record.t
    lines = []
    for result in timeline.feed(t, record.dir, record.event):
        if isinstance(result, TurnLatency):
            lines.append(f"latency: {turn_line(result)}")
        else:
            lines.append(barge_line(result))
    return lines
