"""``voicechat doctor``: diagnose Realtime event logs (ours or any other client's).

Public API: :func:`diagnose` (path → :class:`Report`), :func:`read_entries` (any format →
stream of :class:`Entry`), :data:`RULE_IDS`, and the renderers.
"""

from __future__ import annotations

from voicechat.doctor.engine import diagnose, diagnose_entries
from voicechat.doctor.model import Evidence, Finding, Report
from voicechat.doctor.render import render_json, render_text
from voicechat.doctor.rules import RULE_IDS
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import LogReadError, ReadStats, read_entries

__all__ = [
    "RULE_IDS",
    "Entry",
    "Evidence",
    "Finding",
    "LogReadError",
    "ReadStats",
    "Report",
    "diagnose",
    "diagnose_entries",
    "read_entries",
    "render_json",
    "render_text",
]
