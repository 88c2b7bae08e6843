"""The event log: its record format, redaction, the recorder, one-line summaries and one reader.

Everything that writes, reads or shows an event log uses this package: the runtime records
with :class:`Recorder`, and the doctor, replay and the tests read any log format through
:func:`read_entries`. It depends on :mod:`voicechat.protocol` only.
"""

from __future__ import annotations

from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import LogReadError, read_entries
from voicechat.eventlog.record import Direction, LogRecord
from voicechat.eventlog.recorder import Recorder, RecordError, utc_timestamp
from voicechat.eventlog.redact import redact_event
from voicechat.eventlog.source import open_log
from voicechat.eventlog.stats import FORMAT_NAMES, ReadStats

__all__ = [
    "FORMAT_NAMES",
    "Direction",
    "Entry",
    "LogReadError",
    "LogRecord",
    "ReadStats",
    "RecordError",
    "Recorder",
    "open_log",
    "read_entries",
    "redact_event",
    "utc_timestamp",
]
