"""The doctor's data: one event as read from any log format, and the report it produces.

Kept free of I/O so rules, renderers and tests share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from voicechat.latency import BargeIn, TurnLatency, summarize

#: How many occurrences a finding lists; the count still covers all of them. Keeps the report
#: (and the doctor's memory) bounded on a log with the same fault a million times.
MAX_EVIDENCE = 12


class Evidence(NamedTuple):
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


class LatencySection(NamedTuple):
    """Every answered turn's latency (the turn timeline's), or why the log cannot show it."""

    turns: tuple[TurnLatency, ...] = ()
    barge_ins: tuple[BargeIn, ...] = ()
    #: Why there are no figures, or what they rest on (a log without times).
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        summary = summarize(turn.first_audio_ms for turn in self.turns)
        heard = summarize(turn.heard_ms for turn in self.turns)
        data: dict[str, Any] = {
            "turns": [turn.to_json() for turn in self.turns],
            "first_audio_ms": summary.to_json() if summary else None,
            # the VAD's wait and the client's playback included: the figure under each answer
            "heard_ms": heard.to_json() if heard else None,
            "barge_ins": [barge.to_json() for barge in self.barge_ins],
        }
        if self.note:
            data["note"] = self.note
        return data


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
    oversized_lines: int = 0
    #: Times a rule could not read an event's fields (of unexpected types) and skipped it.
    unreadable: int = 0
    first_unreadable: str | None = None
    latency: LatencySection | None = None
    #: the provider the first frames point at (``xai``, ``voice-live``), when one does
    provider: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.source,
            "format": self.format,
            "dialect": self.dialect,
            "provider": self.provider,
            "events": self.events,
            "lines": self.lines,
            "skipped_lines": self.skipped_lines,
            "torn_last_line": self.torn_last_line,
            "oversized_lines": self.oversized_lines,
            "unreadable": self.unreadable,
            "findings": [f.to_json() for f in self.findings],
            "latency": self.latency.to_json() if self.latency else None,
        }
