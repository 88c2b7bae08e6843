"""Rules are fed only the event types they declare; that must change no verdict."""

from __future__ import annotations

import pytest

from tests.doctor.corpus import EXPECTED, LOGS
from tests.doctor.gemini_corpus import EXPECTED as GEMINI_EXPECTED
from voicechat.doctor import engine
from voicechat.doctor.rules import RULES
from voicechat.eventlog.reader import ReadStats, read_entries


def _report(name: str) -> list[tuple[str, int, list[str]]]:
    stats = ReadStats()
    report = engine.diagnose_entries(read_entries(LOGS / name, stats), stats, name)
    return [(f.rule, f.count, [e.detail for e in f.evidence]) for f in report.findings]


@pytest.mark.parametrize("name", sorted(EXPECTED | GEMINI_EXPECTED))
def test_declared_event_types_give_the_same_findings_as_feeding_every_rule_everything(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dispatched = _report(name)
    for rule in RULES:
        monkeypatch.setattr(rule, "feeds_on", None)
    assert dispatched == _report(name)
