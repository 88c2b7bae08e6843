"""The SDK side: a tracer provider of our own, the OTLP exporter, and its failures as notices.

Why these choices:

- A provider of our own, not the global one: voicechat is often run inside a team's setup, and
  an app embedding the proxy may have its own provider; ours touches nothing global.
- ``BatchSpanProcessor`` (a bounded queue, ``OTEL_BSP_*``): ending a span costs the caller a
  queue append; the export runs on the processor's thread, never on the audio path or the UI.
  A full queue drops spans rather than wait.
- The SDK logs export failures (``Transient error ... retrying``, ``Failed to export spans
  batch``) through ``logging``; with no handler Python prints them on stderr, across the TUI.
  Those loggers get a handler of ours and stop propagating; the exporter is wrapped, and its
  first failure becomes one notice (again only after it worked in between), with the reason the
  SDK logged, secrets masked.
- :meth:`Telemetry.shutdown` is bounded: the SDK's own shutdown waits for a retrying export (up
  to ``OTEL_EXPORTER_OTLP_TIMEOUT``, 10 s) before it tells the exporter to stop; ours runs it
  on a thread, and past the bound stops the exporter's retries itself.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import voicechat
from voicechat.protocol.secrets import redact_text
from voicechat.telemetry.settings import TelemetrySettings
from voicechat.telemetry.trace import SessionTrace

Notify = Callable[[str], None]
#: The SDK's loggers whose records would otherwise reach stderr (and the TUI).
_SDK_LOGGERS = ("opentelemetry.sdk", "opentelemetry.exporter")
#: Shutdown's bound when the caller gives none.
DEFAULT_SHUTDOWN_S = 3.0


class _LogTrap(logging.Handler):
    """Keeps the SDK's last warning (for the notice's reason) instead of printing it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.last = record.getMessage()
        except Exception:  # a bad format string in a dependency's log call
            self.last = str(record.msg)


_TRAP = _LogTrap()


def _trap_sdk_logs() -> None:
    for name in _SDK_LOGGERS:
        logger = logging.getLogger(name)
        if _TRAP not in logger.handlers:
            logger.addHandler(_TRAP)
        logger.propagate = False


class _NoticingExporter(SpanExporter):
    """The OTLP exporter, its failures turned into one notice (never an exception)."""

    def __init__(self, inner: SpanExporter, endpoint: str, notify: Notify) -> None:
        self._inner = inner
        self._endpoint = endpoint
        self._notify = notify
        self._failing = False
        self._stopped = False
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception as exc:
            _TRAP.last = f"{type(exc).__name__}: {exc}"
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._failing = False
            self.exported += len(spans)
        elif not self._failing:
            self._failing = True
            reason = redact_text(_TRAP.last or "no reason given")
            self._notify(f"OpenTelemetry: traces could not be sent to {self._endpoint} "
                         f"({reason[:200]}); the conversation goes on, those spans are dropped")
        return result

    def shutdown(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class Telemetry:
    """Started trace export: one provider, one exporter, any number of session traces."""

    def __init__(self, settings: TelemetrySettings, exporter: SpanExporter,
                 on_notice: Notify | None) -> None:
        self.settings = settings
        self.notice: str | None = None  # the last notice, for a caller that polls
        self._on_notice = on_notice
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        _trap_sdk_logs()
        self._exporter = _NoticingExporter(exporter, settings.endpoint, self._notify)
        self._provider = TracerProvider(resource=Resource.create({
            "service.name": settings.service_name,
            "service.version": voicechat.__version__}), shutdown_on_exit=False)
        self._provider.add_span_processor(BatchSpanProcessor(self._exporter))
        self._tracer = self._provider.get_tracer("voicechat", voicechat.__version__)
        self._done = threading.Event()
        atexit.register(self.shutdown, 1.0)

    @property
    def exported(self) -> int:
        """Spans the collector accepted so far."""
        return self._exporter.exported

    def session(self, name: str, attributes: Mapping[str, Any],
                started_at_epoch_s: float) -> SessionTrace:
        """A new trace for one session, its root span starting at ``started_at_epoch_s``
        (wall-clock seconds, ``time.time()``, at the session clock's zero)."""
        return SessionTrace(self._tracer, name, attributes, started_at_epoch_s,
                            content=self.settings.content, notify=self._notify)

    def shutdown(self, timeout_s: float = DEFAULT_SHUTDOWN_S) -> None:
        """Send what is queued and stop, within ``timeout_s`` whatever the collector does.
        Call it once the sessions have ended; later calls do nothing."""
        if self._done.is_set():
            return
        self._done.set()
        atexit.unregister(self.shutdown)
        worker = threading.Thread(target=self._provider.shutdown, name="voicechat-otel-stop",
                                  daemon=True)
        worker.start()
        worker.join(max(0.0, timeout_s) * 0.8)
        if worker.is_alive():
            self._exporter.shutdown()  # the exporter's retries stop at once
            worker.join(max(0.0, timeout_s) * 0.2)

    def _notify(self, message: str) -> None:
        """From the export thread: onto the caller's event loop when it had one."""
        self.notice = message
        callback = self._on_notice
        if callback is None:
            return
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(callback, message)
                return
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return
        callback(message)


def make_exporter(settings: TelemetrySettings) -> SpanExporter:
    """The OTLP exporter for the protocol; it reads the other ``OTEL_EXPORTER_OTLP_*``
    variables (headers, timeout, compression, certificates) itself."""
    if settings.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter(endpoint=settings.endpoint)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.endpoint)


def start_export(settings: TelemetrySettings, on_notice: Notify | None,
                 exporter: SpanExporter | None = None) -> Telemetry:
    return Telemetry(settings, exporter or make_exporter(settings), on_notice)


__all__ = ["DEFAULT_SHUTDOWN_S", "Telemetry", "make_exporter", "start_export"]
