"""Run every rule over a log in one streaming pass and build the report."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voicechat.doctor.context import Context
from voicechat.doctor.model import Report
from voicechat.doctor.rules import RULES, Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import ReadStats, read_entries


def diagnose_entries(entries: Iterable[Entry], stats: ReadStats, source: str) -> Report:
    """Feed ``entries`` (a stream) through the context and every rule."""
    ctx = Context()
    rules = [rule() for rule in RULES]
    dispatch = _Dispatch(rules)
    tracker = stats.tracker
    for entry in entries:
        ctx.dialect = tracker.server
        ctx.update(entry)
        for rule in dispatch.rules_for(entry.type):
            rule.feed(entry, ctx)
    ctx.dialect = tracker.server
    findings = [f for f in (rule.finish(ctx) for rule in rules) if f is not None]
    return Report(
        source=source,
        format=stats.format_name,
        dialect=tracker.server.value if tracker.server else "unknown",
        events=stats.events,
        lines=stats.lines,
        skipped_lines=stats.skipped_lines,
        torn_last_line=stats.torn_last_line,
        oversized_lines=stats.oversized_lines,
        findings=findings,
    )


class _Dispatch:
    """Which rules want which event type, worked out once per type from their ``feeds_on``."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = rules
        self._by_type: dict[str, tuple[Rule, ...]] = {}

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        found = self._by_type.get(kind)
        if found is None:
            found = tuple(rule for rule in self._rules
                          if rule.feeds_on is None or kind in rule.feeds_on)
            self._by_type[kind] = found
        return found


def diagnose(path: Path | str) -> Report:
    """Read ``path`` (any supported format) and run every rule; raises ``LogReadError``."""
    stats = ReadStats()
    return diagnose_entries(read_entries(path, stats), stats, str(path))
