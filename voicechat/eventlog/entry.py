"""One event as read from a log of any format: what the reader yields and the rules read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicechat.eventlog.record import Direction


@dataclass(frozen=True, slots=True)
class Entry:
    """One event read from a log.

    ``event`` is the event as logged (redacted); ``canonical`` is the same event in GA shape
    (beta events mapped through :mod:`voicechat.protocol.mapping`), which is what rules read.
    ``t`` is seconds since the first event when the log says (ours, or a timestamp prefix),
    else ``None``. ``type`` is the canonical event type, read once here because every rule
    asks for it on every entry. ``in_array``: read from a JSON array, where the element number
    locates an event better than the line (captures are often one-line arrays).
    """

    index: int
    line: int
    t: float | None
    ts: str | None
    dir: Direction
    event: dict[str, Any]
    canonical: dict[str, Any]
    in_array: bool = False
    type: str = field(init=False)

    def __post_init__(self) -> None:
        kind = self.canonical.get("type")
        object.__setattr__(self, "type", kind if isinstance(kind, str) else "")

    def where(self) -> str:
        """``t=12.345s`` (or ``line 17``, ``event 17`` in a JSON array, for logs without
        times), for evidence lines."""
        if self.t is not None:
            return f"t={self.t:.3f}s"
        if self.in_array:
            return f"event {self.index + 1}"
        return f"line {self.line}"


_new = object.__new__
_SET_INDEX, _SET_LINE, _SET_T, _SET_TS, _SET_DIR, _SET_EVENT, _SET_CANONICAL, _SET_ARRAY, \
    _SET_TYPE = (getattr(Entry, name).__set__ for name in (
        "index", "line", "t", "ts", "dir", "event", "canonical", "in_array", "type"))


def make_entry(index: int, line: int, t: float | None, ts: str | None, direction: Direction,
               event: dict[str, Any], canonical: dict[str, Any], in_array: bool) -> Entry:
    """``Entry(...)`` for the reader's hot loop, a quarter of the cost.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` per field, plus
    ``__post_init__``: ~2 µs an entry, as much as decoding the line. Setting the slots through
    their descriptors builds the same immutable value (equal to what ``Entry(...)`` gives, which
    ``tests/eventlog`` checks) without that detour.
    """
    entry = _new(Entry)
    _SET_INDEX(entry, index)
    _SET_LINE(entry, line)
    _SET_T(entry, t)
    _SET_TS(entry, ts)
    _SET_DIR(entry, direction)
    _SET_EVENT(entry, event)
    _SET_CANONICAL(entry, canonical)
    _SET_ARRAY(entry, in_array)
    kind = canonical.get("type")
    _SET_TYPE(entry, kind if isinstance(kind, str) else "")
    return entry
