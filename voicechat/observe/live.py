"""One watched session's tap: every event becomes a log record, a feed item and rule input.

The proxy's relay loop and the sideband watcher call :meth:`SessionTap.event` for each event
they pass on. It redacts the event (credentials and audio payloads never leave this point),
publishes it, runs the doctor's rules on it and publishes any problem it completed — all
without blocking, so the watched app never waits on us.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from voicechat.doctor.engine import Occurrence
from voicechat.doctor.live import LiveDoctor
from voicechat.eventlog.gemini_frames import frame_event
from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.recorder import utc_timestamp
from voicechat.eventlog.redact import redact_event
from voicechat.latency import TurnLatency
from voicechat.latency.text import barge_line, turn_line
from voicechat.observe.feed import (
    ClosedBy,
    ObservedEvent,
    ObserverFeed,
    ProblemSeen,
    SessionClosed,
    SessionKind,
    SessionOpened,
    TurnTimed,
)
from voicechat.protocol.gemini.records import redacted as gemini_redacted

RecordSink = Callable[[LogRecord], None]


class TraceSink(Protocol):
    """What the tap asks of a session's trace (``voicechat.telemetry``'s ``SessionTrace``,
    whose SDK this library does not import)."""

    def on_record(self, t: float, direction: Direction, event: dict[str, Any]) -> None: ...

    def end(self, t: float) -> None: ...


class SessionTap:
    """Publishes one session's events and live problems into the feed (and to a recorder)."""

    def __init__(self, session: str, feed: ObserverFeed, clock: Callable[[], float], t0: float,
                 *, record: RecordSink | None = None, trace: TraceSink | None = None) -> None:
        self.session = session
        self._feed = feed
        self._clock = clock
        self._t0 = t0
        self._record = record
        self.doctor = LiveDoctor()
        self.closed = False
        self._trace = trace  # the session's OpenTelemetry trace, when exported (issue 39)

    def _now(self) -> float:
        return self._clock() - self._t0

    def open(self, label: str, kind: SessionKind) -> None:
        self._feed.publish(SessionOpened(self.session, label, kind, self._now()))

    def event(self, direction: Direction, event: dict[str, Any]) -> LogRecord:
        """Tap one event (as parsed from the wire); returns the redacted record.

        A Gemini Live frame (no ``type``) is recorded as it came, its blobs and resumption
        handles out (:mod:`voicechat.protocol.gemini.records`); the doctor reads it typed
        ``gemini.<message>``, as it reads a Gemini log (:mod:`voicechat.eventlog.gemini_frames`).
        """
        gemini = "type" not in event and frame_event(event) is not None
        clean = redact_event(gemini_redacted(event) if gemini else event)
        record = LogRecord(t=self._now(), ts=utc_timestamp(), dir=direction, event=clean)
        self._feed.publish(ObservedEvent(self.session, record))
        if self._record is not None:
            self._record(record)
        if self._trace is not None:
            self._trace.on_record(record.t, direction, record.event)
        typed = frame_event(clean) if gemini else None
        self._problems(self.doctor.feed(record.t, direction,
                                        typed[0] if typed is not None else clean, record.ts),
                       record.t)
        self._timed(record.t)
        return record

    def close(self, by: ClosedBy, reason: str) -> None:
        """The session ended: problems only its end shows, then who closed it. Idempotent."""
        if self.closed:
            return
        self.closed = True
        t = self._now()
        # the close time is on the records' own ``t`` clock: a session that stayed open long
        # after its last event is evidence a file's timeline gives ``voicechat doctor`` too
        self._problems(self.doctor.finish(end_t=t), t)
        if self._trace is not None:
            self._trace.end(t)
        self._feed.publish(SessionClosed(self.session, by, reason, t))

    def _timed(self, t: float) -> None:
        for result in self.doctor.timed():
            if isinstance(result, TurnLatency):
                self._feed.publish(TurnTimed(self.session, result.item_id, turn_line(result),
                                             result.first_audio_ms, t))
            else:
                self._feed.publish(TurnTimed(self.session, None, barge_line(result), None, t))

    def _problems(self, found: list[Occurrence], t: float) -> None:
        for occurrence in found:
            self._feed.publish(ProblemSeen(self.session, occurrence.rule, occurrence.title,
                                           occurrence.detail, occurrence.fix, t))
