"""What reading a log counted: lines, events, what was skipped, the format and the dialect.

Its own module so that the reader and the entry builder (which counts as it builds) share it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicechat.eventlog.dialects import DialectTracker

FORMAT_NAMES = {
    "voicechat": "voicechat JSONL event log",
    "jsonl": "JSONL of events",
    "json-array": "JSON array of events",
    "text": "text log with inline events",
    "empty": "no events found",
}


@dataclass
class ReadStats:
    """Counts for the report: how much of the file was events and how much was skipped."""

    lines: int = 0
    events: int = 0
    skipped_lines: int = 0
    torn_last_line: bool = False
    #: Lines longer than :data:`MAX_LINE_CHARS`, skipped unread (also counted in skipped_lines).
    oversized_lines: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    #: Text logs: the time (the entries' ``t`` scale: seconds since the first timestamped
    #: event) of the last timestamped line that held no event, read when the file ends. A
    #: log's own lines may run on past its last event (an app logging on after the session
    #: went quiet); the doctor reads it as the end of the log's timeline.
    last_line_t: float | None = None
    tracker: DialectTracker = field(default_factory=DialectTracker)
    #: A Gemini Live frame was read: from then on an app's line about a closed socket is read
    #: as a ``gemini.close`` event (:func:`~voicechat.eventlog.gemini_frames.close_event`).
    gemini: bool = False

    @property
    def format(self) -> str:
        if not self.kinds:
            return "empty"
        return max(self.kinds.items(), key=lambda kv: kv[1])[0]

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]
