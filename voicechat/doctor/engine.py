"""Run every rule over a log in one streaming pass and build the report."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voicechat.doctor.context import Context
from voicechat.doctor.model import Report
from voicechat.doctor.rules import RULES
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import ReadStats, read_entries


def diagnose_entries(entries: Iterable[Entry], stats: ReadStats, source: str) -> Report:
    """Feed ``entries`` (a stream) through the context and every rule."""
    ctx = Context()
    rules = [rule() for rule in RULES]
    tracker = stats.tracker
    for entry in entries:
        ctx.dialect = tracker.server
        ctx.update(entry)
        for rule in rules:
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
        findings=findings,
    )


def diagnose(path: Path | str) -> Report:
    """Read ``path`` (any supported format) and run every rule; raises ``LogReadError``."""
    stats = ReadStats()
    return diagnose_entries(read_entries(path, stats), stats, str(path))
