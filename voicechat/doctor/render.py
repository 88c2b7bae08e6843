"""Render a doctor :class:`Report` as text for people or JSON for CI."""

from __future__ import annotations

import json

from voicechat.doctor.model import Report
from voicechat.protocol.text import escape_surrogates, printable


def render_json(report: Report) -> str:
    # (a lone surrogate a log's JSON escaped is escaped again: it cannot be printed raw)
    return escape_surrogates(json.dumps(report.to_json(), indent=2, ensure_ascii=False))


def render_text(report: Report) -> str:
    """The report for a terminal; everything taken from the log has its control characters
    shown as escapes (the doctor reads other people's logs)."""
    return printable(_render_text(report), keep_newlines=True)


def _render_text(report: Report) -> str:
    lines = [
        f"{report.source}: {report.format}, dialect {report.dialect}",
        f"read {report.events} events from {report.lines} lines; skipped {report.skipped_lines} "
        "lines that were not events" + (" (the last line was torn: the writer was killed "
                                        "mid-line)" if report.torn_last_line else "")
        + (f"; {report.oversized_lines} of them were over 16 MB and were not read"
           if report.oversized_lines else ""),
    ]
    if report.unreadable:
        lines.append(f"{report.unreadable} time(s) a rule skipped an event whose fields had "
                     f"unexpected types (first: {report.first_unreadable}); the verdicts below "
                     "leave those events out. Check that the log was not edited or cut.")
    if not report.findings:
        lines.append("No problems found.")
        return "\n".join(lines)
    lines.append(f"{len(report.findings)} problem(s) found:")
    for finding in report.findings:
        lines.append("")
        lines.append(f"[{finding.rule}] {finding.title} ({finding.count}×)")
        for evidence in finding.evidence:
            lines.append(f"  - {printable(evidence.detail)}")
        if finding.count > len(finding.evidence):
            lines.append(f"  … and {finding.count - len(finding.evidence)} more")
        fix_lines = finding.fix.splitlines()
        lines.append(f"  fix: {fix_lines[0]}")
        lines.extend(f"       {line}" for line in fix_lines[1:])
    return "\n".join(lines)
