"""The doctor's data: one event as read from any log format, and the report it produces.

Kept free of I/O so rules, renderers and tests share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicechat.runtime_api import Direction

#: How many occurrences a finding lists; the count still covers all of them. Keeps the report
#: (and the doctor's memory) bounded on a log with the same fault a million times.
MAX_EVIDENCE = 12


@dataclass(frozen=True, slots=True)
class Entry:
    """One event read from a log.

    ``event`` is the event as logged (redacted); ``canonical`` is the same event in GA shape
    (beta events mapped through :mod:`voicechat.protocol.mapping`), which is what rules read.
    ``t`` is seconds since the first event when the log says (ours, or a timestamp prefix),
    else ``None``.
    """

    index: int
    line: int
    t: float | None
    ts: str | None
    dir: Direction
    event: dict[str, Any]
    canonical: dict[str, Any]

    @property
    def type(self) -> str:
        kind = self.canonical.get("type")
        return kind if isinstance(kind, str) else ""

    def where(self) -> str:
        """``t=12.345s`` (or ``line 17`` for logs without times), for evidence lines."""
        if self.t is not None:
            return f"t={self.t:.3f}s"
        return f"line {self.line}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One occurrence: where it happened and what the log shows there."""

    t: float | None
    line: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"t": None if self.t is None else round(self.t, 3), "line": self.line,
                "detail": self.detail}


@dataclass
class Finding:
    """One rule's verdict on the whole log (all its occurrences folded together)."""

    rule: str
    title: str
    fix: str
    evidence: list[Evidence] = field(default_factory=list)
    count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "title": self.title, "count": self.count,
                "evidence": [e.to_json() for e in self.evidence], "fix": self.fix}


@dataclass
class Report:
    """Everything ``voicechat doctor`` prints."""

    source: str
    format: str
    dialect: str
    events: int
    lines: int
    skipped_lines: int
    torn_last_line: bool = False
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.source,
            "format": self.format,
            "dialect": self.dialect,
            "events": self.events,
            "lines": self.lines,
            "skipped_lines": self.skipped_lines,
            "torn_last_line": self.torn_last_line,
            "findings": [f.to_json() for f in self.findings],
        }
