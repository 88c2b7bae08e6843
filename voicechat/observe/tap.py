"""What a producer (the proxy's relay, the sideband client) needs from a session's tap.

:class:`voicechat.observe.live.SessionTap` is the implementation; producers depend on this
shape only, so they can be read (and typed) without the doctor behind the tap.
"""

from __future__ import annotations

from typing import Any, Protocol

from voicechat.eventlog.record import Direction
from voicechat.observe.feed import ClosedBy, SessionKind


class Tap(Protocol):
    """One observed session: opened once, every event goes in, closed once by one side."""

    def open(self, label: str, kind: SessionKind) -> None: ...

    def event(self, direction: Direction, event: dict[str, Any]) -> object: ...

    def close(self, by: ClosedBy, reason: str) -> object: ...


def notice(tap: Tap, message: str, level: str = "info") -> None:
    """A ``local.notice`` from the observer itself (the event log's own local event)."""
    tap.event("local", {"type": "local.notice", "level": level, "message": message})
