"""One stream of log records for everyone: the TUI, ``--no-ui`` printing and the recorder.

Every event in, out and local becomes the :class:`LogRecord` the event log stores (redacted, with
its time since the start) and is handed to each subscriber in turn, so all of them see the same
stream in the same order. Subscribers run on the event loop thread and must not block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.recorder import utc_timestamp
from voicechat.eventlog.redact import redact_event

Subscriber = Callable[[LogRecord], None]


@dataclass
class Subscribers:
    """A tiny fan-out list; callbacks run on the event loop thread and must not block."""

    callbacks: list[Subscriber] = field(default_factory=list)

    def add(self, callback: Subscriber) -> Callable[[], None]:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback) if callback in self.callbacks else None

    def emit(self, record: LogRecord) -> None:
        for callback in list(self.callbacks):
            callback(record)


class EventFanout:
    """Makes the record for each event and delivers it, dropping subscribers that fail."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._t0 = clock()
        self.subscribers = Subscribers()
        self.failures: list[str] = []  # subscribers dropped after raising, and why
        #: records a subscriber emitted while a record was being delivered (the turn timing's
        #: ``local.turn.latency`` on the ``response.done`` that completed it): they go out
        #: after that record has reached everyone, so every subscriber sees one order
        self._nested: list[LogRecord] | None = None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        return self.subscribers.add(callback)

    def elapsed(self) -> float:
        """Seconds since the stream's zero: the ``t`` a record made now would carry."""
        return self._clock() - self._t0

    def emit(self, direction: Direction, event: dict[str, Any]) -> None:
        record = LogRecord(
            t=self._clock() - self._t0, ts=utc_timestamp(), dir=direction,
            event=redact_event(event),
        )
        if self._nested is not None:
            self._nested.append(record)
            return
        self._nested = pending = [record]
        try:
            while pending:
                self._deliver(pending.pop(0))
        finally:
            self._nested = None

    def _deliver(self, record: LogRecord) -> None:
        # One failing subscriber (a closed stdout, a full disk) must not take the conversation
        # down with it: it is dropped, and the others keep receiving.
        callbacks = self.subscribers.callbacks
        for callback in list(callbacks):
            try:
                callback(record)
            except Exception as exc:
                if callback in callbacks:
                    callbacks.remove(callback)
                self.failures.append(f"{callback!r}: {exc!r}")

    def local(self, event: dict[str, Any]) -> None:
        """A fact of this client's own (``local.*``), not something that crossed the wire."""
        self.emit("local", event)

    def notice(self, level: str, message: str, *, topic: str | None = None) -> None:
        """A message for the user; ``topic`` (``conversation``: resuming and saving) asks the
        TUI to show it as a toast as well as in the event pane."""
        event = {"type": "local.notice", "level": level, "message": message}
        if topic is not None:
            event["topic"] = topic
        self.local(event)
