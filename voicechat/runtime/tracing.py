"""OpenTelemetry traces of this conversation, when the user asked for them (issue 39).

The export library (:mod:`voicechat.telemetry`) turns a session's records into one trace; this
part starts it with the session (from the standard ``OTEL_*`` variables or the config's
``otel_*`` keys), feeds it every record the runtime emits, ends the trace at the session's end
and gives the export a bounded time to flush. Nothing here blocks the audio path or the UI:
the spans are queued for the export's own thread, and a collector that is down costs a notice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.fanout import EventFanout

if TYPE_CHECKING:
    from voicechat.telemetry.export import Telemetry
    from voicechat.telemetry.trace import SessionTrace

#: How long the end of a run waits for the last spans to leave.
SHUTDOWN_S = 2.0


class SessionTracing:
    """The runtime's trace export: :meth:`start` with the session, :meth:`stop` at its end."""

    def __init__(self, settings: Settings, events: EventFanout, *, api: str) -> None:
        self._settings = settings
        self._events = events
        self._api = api
        self._telemetry: Telemetry | None = None
        self._trace: SessionTrace | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        """Start export if it was asked for; a notice when it could not start (never raises)."""
        from voicechat import telemetry

        def warn(message: str) -> None:
            self._events.notice("warning", message)

        started = telemetry.start(self._settings, on_notice=warn)
        if started.notice:
            warn(started.notice)
        if started.telemetry is None:
            return
        settings = self._settings
        attributes = telemetry.session_attributes(
            model=settings.model or "", server=settings.server or "",
            transport=settings.transport, api=self._api)
        # the records' t counts from the fan-out's zero: the trace's wall clock starts there
        started_at = time.time() - self._events.elapsed()
        self._telemetry = started.telemetry
        trace = self._trace = started.telemetry.session("voicechat session", attributes,
                                                        started_at)
        self._unsubscribe = self._events.subscribe(self._record(trace))
        self._events.notice("info", "OpenTelemetry: this session is exported as a trace")

    @staticmethod
    def _record(trace: SessionTrace) -> Callable[[LogRecord], None]:
        def feed(record: LogRecord) -> None:
            trace.on_record(record.t, record.dir, record.event)
        return feed

    async def stop(self) -> None:
        """End the trace and let the export flush, at most :data:`SHUTDOWN_S`."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._trace is not None:
            self._trace.end(self._events.elapsed())
            self._trace = None
        if self._telemetry is not None:
            telemetry, self._telemetry = self._telemetry, None
            await asyncio.to_thread(telemetry.shutdown, SHUTDOWN_S)
