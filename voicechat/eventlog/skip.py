"""Which events a reader may pass on as stubs: the doctor reads most event types only by name.

A log's bulk is a handful of high-volume types; of the rest, many (``response.output_audio.done``,
``response.content_part.added`` …) no doctor rule reads at all, and the session context only
needs their place in the stream (the latest server event, the first and last times). For such
an event the reader hands on a stub, ``{"type": …}`` (plus a client event's ``event_id``, which
the context indexes), and skips the redaction walk and the full dialect mapping.

Exactness: the stub's type is the event's own, so the stream's numbering, times, directions,
format counts and dialect decisions (the :class:`~voicechat.eventlog.dialects.DialectTracker`
decides from the names of these types alone; the types whose *content* it reads are always
wanted, see ``READS_CONTENT`` there) are the same as without skipping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voicechat.eventlog.dialects import READS_CONTENT
from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import redact_event
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES
from voicechat.protocol.secrets import redact_text

#: Raw event types whose canonical (GA) name differs, whatever the dialect turns out to be.
_OTHER_NAMES: dict[str, str] = {**BETA_TO_GA_SERVER_NAMES,
                                "transcription_session.update": "session.update"}


class Skipper:
    """Decides once per raw event type whether ``wanted`` lets it be stubbed."""

    def __init__(self, wanted: Callable[[str], bool]) -> None:
        self._wanted = wanted
        self._skips: dict[str, bool] = {}

    def skips(self, kind: str) -> bool:
        """Whether an event of raw type ``kind`` may become a stub."""
        known = self._skips.get(kind)
        if known is None:
            names = {kind, _OTHER_NAMES.get(kind, kind)}  # its name as GA or as mapped beta
            known = (not any(self._wanted(name) for name in names)
                     and not names & READS_CONTENT
                     and redact_text(kind) == kind)  # redaction could not change the stub
            if len(self._skips) < 4096:
                self._skips[kind] = known
        return known

    @staticmethod
    def stub(event: dict[str, Any], direction: Direction | None) -> dict[str, Any]:
        """What is kept of an event :meth:`skips` allowed, already redacted."""
        stub: dict[str, Any] = {"type": event["type"]}
        event_id = event.get("event_id")
        if direction != "in" and isinstance(event_id, str):
            # The context finds client events by id for the errors that answer them; redacted
            # as the whole event would be, so the id matches the error's redacted copy.
            stub["event_id"] = event_id
            return redact_event(stub)
        return stub
