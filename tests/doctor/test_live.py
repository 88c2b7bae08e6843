"""The live doctor is the file doctor fed one event at a time: same rules, same words, sooner."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.doctor.corpus import EXPECTED, LOGS
from voicechat.doctor import diagnose, read_entries
from voicechat.doctor.live import LiveDoctor
from voicechat.eventlog.stats import ReadStats


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_live_findings_are_the_file_doctors(name: str) -> None:
    live = LiveDoctor()
    seen: set[str] = set()
    stats = ReadStats()
    for entry in read_entries(LOGS / name, stats):
        seen.update(o.rule for o in live.feed(entry.t, entry.dir, entry.event, entry.ts))
    # a watcher knows when the session ended; a text log's own lines tell the file doctor
    seen.update(o.rule for o in live.finish(stats.last_line_t))
    assert seen == EXPECTED[name]
    file_report = diagnose(LOGS / name)
    assert [_located_apart(f.to_json()) for f in live.findings()] == [
        _located_apart(f.to_json()) for f in file_report.findings]


def _located_apart(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding without where its evidence sits in a file (a live stream has no lines)."""
    evidence = [re.sub(r"\b(line|event) \d+", "(at)", e["detail"]) for e in finding["evidence"]]
    return {**finding, "evidence": evidence}


def test_a_problem_shows_on_the_event_that_completes_it_not_at_the_end() -> None:
    live = LiveDoctor()
    entries = list(read_entries(LOGS / "cancel_without_response_ga.jsonl"))
    first_at = None
    for position, entry in enumerate(entries):
        found = live.feed(entry.t, entry.dir, entry.event, entry.ts)
        if found and first_at is None:
            first_at = position
            occurrence = found[0]
            assert occurrence.rule == "cancel-without-response"
            assert occurrence.count == 1
            assert occurrence.detail.startswith(entry.where())  # the evidence, located
            assert "response.cancel" in occurrence.fix or occurrence.fix
    assert first_at is not None and first_at < len(entries) - 1
    assert live.finish() == []  # nothing new at the end: it was all said live


def test_events_without_a_type_are_ignored_not_fatal() -> None:
    live = LiveDoctor()
    assert live.feed(0.0, "in", {"no": "type"}) == []
    assert live.feed(0.0, "in", {"type": 7}) == []
    assert live.events == 0
