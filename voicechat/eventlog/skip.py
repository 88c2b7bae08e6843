"""Which events a reader may pass on as stubs: the doctor reads most of a log only in part.

A log's bulk is a handful of high-volume types (mic appends, audio and transcript deltas), and
the doctor reads them only by name, direction, place and time, plus at most a field or two (a
delta's ``response_id``); many other types (``response.output_audio.done`` …) no rule reads at
all. For such an event the reader hands on a stub: ``{"type": …}``, the few top-level fields the
caller declared it reads, and a client event's ``event_id`` (the context indexes client events
by it). The stub skips the redaction walk (a big append's audio) and the full dialect mapping.

Exactness: the stub's type is the event's own, so the stream's numbering, times, directions,
format counts and dialect decisions (the :class:`~voicechat.eventlog.dialects.DialectTracker`
decides from the names of these types alone; the types whose *content* it reads are always
read whole, see ``READS_CONTENT`` there) are the same as without skipping. A kept field is a
top-level scalar, passed through :func:`redact_text` exactly as :func:`redact_event` would pass
it (no declared field is a secret key or ``audio``); a declared field holding an object or a
list makes the event go the whole way, so every field a reader reads is what decoding gives.
A stub never holds a payload: nothing secret can leak through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voicechat.eventlog.dialects import READS_CONTENT
from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import SECRET_KEYS, b64_size
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES
from voicechat.protocol.secrets import redact_text

#: Raw event types whose canonical (GA) name differs, whatever the dialect turns out to be.
_OTHER_NAMES: dict[str, str] = {**BETA_TO_GA_SERVER_NAMES,
                                "transcription_session.update": "session.update"}

#: What a caller says it reads of one canonical type: ``True`` the whole event; else the set of
#: top-level fields beyond the type (``False`` or an empty set: the type alone).
Wants = bool | frozenset[str]

_SCALARS = (int, float, bool)
_NOT_SCALAR = object()
_UNKNOWN: Any = object()
_CACHE_MAX = 1024  # ids repeat (every delta of a response): their redaction checked once


class Skipper:
    """Decides once per raw event type what a ``wanted`` predicate lets a stub keep."""

    def __init__(self, wanted: Callable[[str], Wants]) -> None:
        self._wanted = wanted
        self._keeps: dict[str, frozenset[str] | None] = {}
        self._clean: dict[str, str] = {}

    def keeps(self, kind: str) -> frozenset[str] | None:
        """The fields a stub of raw type ``kind`` keeps, or ``None``: read it whole."""
        if kind in self._keeps:
            return self._keeps[kind]
        names = {kind, _OTHER_NAMES.get(kind, kind)}  # its name as GA or as mapped beta
        fields: frozenset[str] | None = frozenset()
        for name in names:
            wants = self._wanted(name)
            if wants is True:
                fields = None
                break
            if wants is not False:
                assert fields is not None and not isinstance(wants, bool)
                fields = fields | wants
        if (fields is not None and fields & ({"type", "audio", "delta"} | SECRET_KEYS)) \
                or names & READS_CONTENT or redact_text(kind) != kind:
            fields = None  # payloads and secrets are never kept: such a type is read whole
        if len(self._keeps) < 4096:
            self._keeps[kind] = fields
        return fields

    def skips(self, kind: str) -> bool:
        """Whether an event of raw type ``kind`` may become a stub (of whatever fields)."""
        return self.keeps(kind) is not None

    def stub_of(self, event: dict[str, Any], kind: str,
                direction: Direction | None) -> dict[str, Any] | None:
        """What is kept of ``event`` (of raw type ``kind``), already redacted; ``None``: read
        it whole (its type is read whole, or a kept field holds more than a scalar)."""
        fields = self._keeps.get(kind, _UNKNOWN)  # once per line: the method only when new
        if fields is _UNKNOWN:
            fields = self.keeps(kind)
        if fields is None:
            return None
        return self.stub_with(event, kind, direction, fields)

    def stub_with(self, event: dict[str, Any], kind: str, direction: Direction | None,
                  fields: frozenset[str]) -> dict[str, Any] | None:
        """:meth:`stub_of` for a caller that already has ``keeps(kind)`` (not ``None``)."""
        stub: dict[str, Any] = {"type": event["type"]}
        if direction == "in":  # every output delta: _scalar inlined
            clean = self._clean
            for name in fields:
                value = event.get(name, _UNKNOWN)
                if value is _UNKNOWN:
                    continue
                if value.__class__ is str:
                    value = clean.get(value) or self._redacted(value)
                elif value is not None and value.__class__ not in _SCALARS:
                    return None
                stub[name] = value
            return stub
        # A client event (or one whose direction the log does not say): the context indexes it
        # by event_id, and a rule reading the error that answers it may read any of its fields
        # (``param`` names one). So its stub must be the whole redacted event: it holds only
        # the type, the id, declared scalars and the audio, whose redacted form is its size.
        for name, value in event.items():
            if name == "type":
                continue
            if name == "audio":
                if value.__class__ is str:
                    stub[name] = {"bytes": b64_size(value)}  # what redaction makes of it
                elif value.__class__ is dict and len(value) == 1 \
                        and value.get("bytes").__class__ is int:
                    stub[name] = value  # already redacted (our own logs)
                else:
                    return None
                continue
            if name != "event_id" and name not in fields:
                return None
            kept = self._scalar(value)
            if kept is _NOT_SCALAR:
                return None
            stub[name] = kept
        return stub

    def _scalar(self, value: Any) -> Any:
        """``value`` as redaction leaves it if it is a scalar, else :data:`_NOT_SCALAR`."""
        if value.__class__ is str:
            return self._clean.get(value) or self._redacted(value)
        if value is None or value.__class__ in _SCALARS:
            return value
        return _NOT_SCALAR

    def _redacted(self, text: str) -> str:
        clean = self._clean.get(text)
        if clean is None:
            clean = redact_text(text)
            if len(self._clean) >= _CACHE_MAX:
                self._clean.clear()
            self._clean[text] = clean
        return clean
