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

A log is never lost without a word (issue 55, item 4): a ``--record`` path that already holds
a log (a regular file with something in it) has it kept beside, as ``log.1.jsonl`` (the first
free number, so the numbers go up with age), and the new log is written where it was asked for
(``voicechat doctor log.jsonl`` reads the latest run, as a script expects); the caller says
where the earlier one went (:attr:`Recorder.kept`). Refusing instead would stop every second
run of a ``record = "…"`` config key, and an ``--overwrite`` flag would lose the log the one
time it was forgotten.

A log that silently stops is worse than none (the bug report then "proves" events never
happened), so a path that cannot be opened is a :class:`RecordError` naming the path, the OS's
reason and the fix, and a write that fails mid-run (a full disk, a closed pipe) stops the
recording once and says so through ``on_error`` rather than dropping lines one by one.

The format is the contract in ``docs/architecture.md`` ("The event log").
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.redact import redact_event


def utc_timestamp(when: datetime | None = None) -> str:
    """``2026-11-21T10:00:00.123Z``: the ``ts`` field of the log contract."""
    if when is None:
        return timestamp_of_ns(time.time_ns())
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


_second_text: tuple[int, str] = (-1, "")  # the last second formatted, and its text


def timestamp_of_ns(epoch_ns: int) -> str:
    """:func:`utc_timestamp` of an epoch time in nanoseconds, the second's text made once.

    Every event of every session carries a ``ts`` (the mic's appends too: 10 a second per
    session), and ``datetime.now`` with ``strftime`` cost a 100-caller load run ~4 % of its CPU.
    Integer arithmetic, so the milliseconds are truncated exactly as ``datetime``'s are."""
    global _second_text
    second, rest = divmod(epoch_ns, 1_000_000_000)
    cached_second, text = _second_text
    if second != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        _second_text = (second, text)
    return f"{text}{rest // 1_000_000:03d}Z"


def kept_text(path: Path, kept: Path) -> str:
    """What the user is told when an earlier log was kept aside."""
    return f"{path} held an earlier log: it is kept as {kept}; this run's log is {path}"


class RecordError(OSError):
    """``--record PATH`` cannot be written; the message names the path, the reason, the fix."""


def record_error(path: Path, exc: OSError, *, written: int | None = None) -> str:
    """The message for a log that cannot be written (at start, or after ``written`` records;
    a log that failed on its first record failed at start)."""
    why = exc.strerror or str(exc) or type(exc).__name__
    if written:
        return (f"recording to {path} stopped after {written} event(s): {why}; later events are "
                "not in the log (free some space or record elsewhere)")
    if exc.errno == errno.ENOENT:
        fix = f"create the directory {path.parent} or choose another --record path"
    elif exc.errno == errno.EISDIR:
        fix = "--record takes a file name, not a directory"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"record into a directory you can write to (not {path.parent})"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "free some space or record elsewhere"
    else:
        fix = "choose another --record path"
    return f"cannot record to {path}: {why} ({fix})"


def set_aside(path: Path) -> Path | None:
    """Keep the log at ``path`` (a regular file, not empty) as the first free
    ``<stem>.<N><suffix>`` beside it, and return where; ``None`` when there was nothing to keep
    (no file, an empty one, or not a regular file: ``/dev/null``, a FIFO). Raises
    :class:`OSError` when it cannot be moved."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    for number in itertools.count(1):
        kept = path.with_name(f"{path.stem}.{number}{path.suffix}")
        if os.path.lexists(kept):
            continue
        try:
            os.link(path, kept, follow_symlinks=False)  # never replaces a file that appeared
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links
            os.rename(path, kept)
            return kept
        os.unlink(path)
        return kept
    raise AssertionError("unreachable")  # (count() never ends)


class Recorder:
    """Writes :class:`LogRecord` lines to a JSONL file; usable directly as a subscriber callback.

    Open it with :meth:`open` (or as a context manager). ``record(dir, event)`` stamps ``t``/``ts``
    itself for callers that have no runtime clock; ``write(record)`` stores a ready record.
    """

    def __init__(
        self, path: Path, fd: int, on_error: Callable[[str], None] | None = None
    ) -> None:
        self.path = path
        self._fd: int | None = fd
        self._start = time.monotonic()
        self._on_error = on_error
        self.records_written = 0
        self.error: str | None = None  # why recording stopped early, once it has
        self.kept: Path | None = None
        """Where the log that was at :attr:`path` was kept when this one was opened, if any:
        the caller tells the user (:func:`kept_text`)."""

    @classmethod
    def open(
        cls, path: Path | str, *, on_error: Callable[[str], None] | None = None
    ) -> Recorder:
        """Create ``path`` with mode 0600 from the first instant; a log already there is kept
        beside it first (:func:`set_aside`, :attr:`kept`).

        Raises :class:`RecordError` when it cannot be; ``on_error(message)`` is called once if a
        later write fails (the recorder is closed by then).
        """
        path = Path(path)
        try:
            kept = set_aside(path)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise RecordError(f"cannot keep the earlier log at {path} aside: {why} (move it "
                              "yourself or choose another --record path)") from exc
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        except OSError as exc:
            raise RecordError(record_error(path, exc)) from exc
        # O_CREAT honours the umask only when creating; an existing file keeps its old mode.
        # Only a regular file: `--record /dev/null` run as root must not chmod the device.
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, 0o600)
        except OSError as exc:
            os.close(fd)
            raise RecordError(record_error(path, exc)) from exc
        recorder = cls(path, fd, on_error)
        recorder.kept = kept
        return recorder

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
        try:
            while written < len(payload):
                written += os.write(self._fd, payload[written:])
        except OSError as exc:
            self._fail(exc)
            return
        self.records_written += 1

    def _fail(self, exc: OSError) -> None:
        """Stop recording for good and say so once (a torn line is all the file may end with)."""
        self.error = record_error(self.path, exc, written=self.records_written)
        self.close()
        if self._on_error is not None:
            self._on_error(self.error)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:  # NFS and friends report a failed write only at close
                if self.error is None:
                    self._fail_at_close(exc)

    def _fail_at_close(self, exc: OSError) -> None:
        self.error = record_error(self.path, exc, written=self.records_written)
        if self._on_error is not None:
            self._on_error(self.error)
