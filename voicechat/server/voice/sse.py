"""A sans-IO parser for server-sent events (the ``text/event-stream`` format).

OpenAI-compatible chat endpoints stream completions as SSE. Network reads split the stream at
arbitrary byte offsets — in the middle of a line, of a CRLF, even of a UTF-8 character — so the
parser takes bytes as they come and yields complete events only, following the WHATWG rules
that matter here: ``data:`` lines of one event are joined with newlines, a blank line ends the
event, lines starting with ``:`` are comments (keep-alives), and one space after the colon is
dropped.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its ``event`` name ("message" by default) and joined ``data``."""

    event: str
    data: str


class SseParser:
    """Feed bytes with :meth:`feed`; get every event completed by them."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        text = self._decoder.decode(chunk)
        events: list[SseEvent] = []
        for ch in text:
            if self._pending_cr:
                self._pending_cr = False
                if ch == "\n":  # the LF of a CRLF already handled at the CR
                    continue
            if ch == "\r":
                self._pending_cr = True
                self._end_line(events)
            elif ch == "\n":
                self._end_line(events)
            else:
                self._line += ch
        return events

    def _end_line(self, events: list[SseEvent]) -> None:
        line, self._line = self._line, ""
        if not line:
            if self._data:
                events.append(SseEvent(self._event or "message", "\n".join(self._data)))
            self._data, self._event = [], ""
            return
        if line.startswith(":"):
            return
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
