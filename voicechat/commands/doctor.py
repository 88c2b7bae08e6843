"""``voicechat doctor LOG [--json]``: exit 0 = nothing found, 1 = findings, 2 = unreadable."""

from __future__ import annotations

import sys
from pathlib import Path

from voicechat.doctor import LogReadError, diagnose, render_json, render_text


def run(log: Path, *, json_output: bool) -> int:
    try:
        report = diagnose(log)
    except LogReadError as exc:
        print(f"voicechat doctor: {exc}", file=sys.stderr)
        return 2
    if report.events == 0:
        print(
            f"voicechat doctor: {log}: no Realtime events found in {report.lines} lines. "
            "Pass a voicechat --record log, a JSON/JSONL dump of events, or a text log with the "
            "event JSON inline.",
            file=sys.stderr,
        )
        return 2
    print(render_json(report) if json_output else render_text(report))
    return 1 if report.findings else 0
