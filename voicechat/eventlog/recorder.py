"""The JSONL event log writer (the runtime's recorder).

The log is a developer tool that people attach to bug reports, so it must be safe to share and
survive the crash it is meant to explain:

- every audio payload is replaced by ``{"bytes": N}`` (a 10-minute session would otherwise be
  hundreds of megabytes of base64, and it is the user's voice);
- secrets (API keys, ``ek_`` ephemeral tokens, ``Authorization``/``api-key`` values) are
  replaced wherever they appear in an event, even inside free text;
- the file is created with mode 0600 (never world-readable, not even for an instant), and each
  record is written with one ``write`` call and flushed, so a kill mid-session leaves at most one
  torn last line, which :mod:`voicechat.eventlog.reader` skips and counts.

The format is the contract in ``docs/architecture.md`` ("The event log").
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.redact import redact_event


def utc_timestamp(when: datetime | None = None) -> str:
    """``2026-11-21T10:00:00.123Z``: the ``ts`` field of the log contract."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Recorder:
    """Writes :class:`LogRecord` lines to a JSONL file; usable directly as a subscriber callback.

    Open it with :meth:`open` (or as a context manager). ``record(dir, event)`` stamps ``t``/``ts``
    itself for callers that have no runtime clock; ``write(record)`` stores a ready record.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self._start = time.monotonic()
        self.records_written = 0

    @classmethod
    def open(cls, path: Path | str) -> Recorder:
        """Create (or truncate) ``path`` with mode 0600 from the first instant."""
        path = Path(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        # O_CREAT honours the umask only when creating; an existing file keeps its old mode.
        os.fchmod(fd, 0o600)
        return cls(path, fd)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, record: LogRecord) -> None:
        self.write(record)

    @property
    def closed(self) -> bool:
        return self._fd is None

    def record(self, direction: Direction, event: dict[str, Any]) -> LogRecord:
        """Stamp ``event`` with the recorder's own clock, write it, and return the record."""
        rec = LogRecord(
            t=time.monotonic() - self._start, ts=utc_timestamp(), dir=direction, event=event
        )
        self.write(rec)
        return rec

    def write(self, record: LogRecord) -> None:
        """Redact and append one line; a single ``os.write`` so a kill tears at most this line."""
        if self._fd is None:
            return
        data = record.to_json_dict()
        data["event"] = redact_event(record.event)
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
        payload = line.encode("utf-8")
        written = 0
        while written < len(payload):
            written += os.write(self._fd, payload[written:])
        self.records_written += 1

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
