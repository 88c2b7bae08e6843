"""The JSONL event log: writer (the runtime's recorder) and reader for our own format.

The log is a developer tool that people attach to bug reports, so it must be safe to share and
survive the crash it is meant to explain:

- every audio payload is replaced by ``{"bytes": N}`` (a 10-minute session would otherwise be
  hundreds of megabytes of base64, and it is the user's voice);
- secrets (API keys, ``ek_`` ephemeral tokens, ``Authorization``/``api-key`` values) are
  replaced wherever they appear in an event, even inside free text;
- the file is created with mode 0600 (never world-readable, not even for an instant), and each
  record is written with one ``write`` call and flushed, so a kill mid-session leaves at most one
  torn last line, which :func:`read_log` skips and counts.

The format is the contract in ARCHITECTURE.md ("Event log format").
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicechat.protocol.secrets import REDACTED, redact_text
from voicechat.runtime_api import Direction, LogRecord

#: Event types whose ``delta`` is base64 audio (both dialects).
AUDIO_DELTA_TYPES = frozenset({"response.output_audio.delta", "response.audio.delta"})

#: Keys whose value is a credential whatever it looks like (compared lower-case, ``-``→``_``).
SECRET_KEYS = frozenset(
    {"authorization", "api_key", "apikey", "x_api_key", "openai_api_key", "azure_openai_api_key",
     "client_secret", "secret", "password", "token", "access_token", "ephemeral_key"}
)

def _b64_size(data: str) -> int:
    """Decoded size of a base64 string without decoding it."""
    stripped = data.rstrip("=")
    return len(stripped) * 3 // 4


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with audio payloads as ``{"bytes": N}`` and secrets removed.

    Idempotent: an already redacted event comes back equal, so logs can be re-recorded.
    """
    kind = event.get("type")
    out = _redact_value(event)
    assert isinstance(out, dict)
    if kind in AUDIO_DELTA_TYPES and isinstance(event.get("delta"), str):
        out["delta"] = {"bytes": _b64_size(event["delta"])}
    return out


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            norm = key.lower().replace("-", "_") if isinstance(key, str) else key
            if norm in SECRET_KEYS and item is not None and not isinstance(item, bool):
                result[key] = _redact_secret_container(item)
            elif key == "audio" and isinstance(item, str):
                result[key] = {"bytes": _b64_size(item)}
            else:
                result[key] = _redact_value(item)
        return result
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_secret_container(value: Any) -> Any:
    """Secrets may be objects (``client_secret: {value, expires_at}``): keep harmless metadata."""
    if isinstance(value, dict):
        return {
            k: (v if k in ("expires_at", "expires_after", "anchor", "seconds") else REDACTED)
            for k, v in value.items()
        }
    return REDACTED


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


@dataclass
class ReadStats:
    """What the reader saw besides records, for the "read N events, skipped M lines" report."""

    lines: int = 0
    skipped: int = 0
    torn_last_line: bool = False
    skipped_line_numbers: list[int] = field(default_factory=list)


def parse_record(obj: Any) -> LogRecord | None:
    """A log-contract dict → :class:`LogRecord`, or ``None`` when it is not one."""
    if not isinstance(obj, dict):
        return None
    event = obj.get("event")
    direction = obj.get("dir")
    if not isinstance(event, dict) or direction not in ("in", "out", "local"):
        return None
    t = obj.get("t")
    ts = obj.get("ts")
    return LogRecord(
        t=float(t) if isinstance(t, int | float) else 0.0,
        ts=ts if isinstance(ts, str) else "",
        dir=direction,
        event=event,
    )


def read_log(path: Path | str, stats: ReadStats | None = None) -> Iterator[LogRecord]:
    """Stream the records of one of our logs; bad lines are skipped and counted in ``stats``.

    A last line without its newline (the process was killed mid-write) is reported as torn.
    """
    stats = stats if stats is not None else ReadStats()
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            stats.lines += 1
            if not line.strip():
                continue
            record: LogRecord | None = None
            try:
                record = parse_record(json.loads(line))
            except ValueError:
                record = None
            if record is None:
                stats.skipped += 1
                if len(stats.skipped_line_numbers) < 20:
                    stats.skipped_line_numbers.append(number)
                if not line.endswith("\n"):
                    stats.torn_last_line = True
                continue
            yield record
