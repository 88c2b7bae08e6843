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
