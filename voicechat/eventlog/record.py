"""One line of the event log: the record every layer passes around and the log stores.

``{"t": seconds since start, "ts": UTC wall clock, "dir": "in"|"out"|"local", "event": {...}}``
is a contract (``docs/architecture.md``, "The event log"): the doctor, replay, the event-flow
pane and the tests all read it, so it lives here, below every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["in", "out", "local"]


@dataclass(frozen=True)
class LogRecord:
    """One event as the log stores it: ``t`` seconds since start, ``ts`` UTC wall clock."""

    t: float
    ts: str
    dir: Direction
    event: dict[str, Any]

    def to_json_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 6), "ts": self.ts, "dir": self.dir, "event": self.event}
