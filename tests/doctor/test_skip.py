"""The doctor stubs event types nothing reads (``read_entries(wanted=...)``): that must change
no report, on the corpus and on any log."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.doctor.corpus import EXPECTED, LOGS
from tests.doctor.logstrategy import logs
from voicechat.doctor import engine
from voicechat.eventlog.reader import ReadStats, read_entries


def _unskipped(path: Path) -> dict[str, Any]:
    stats = ReadStats()
    return engine.diagnose_entries(read_entries(path, stats), stats, str(path)).to_json()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_reports_are_the_same_with_and_without_stubs(name: str) -> None:
    assert engine.diagnose(LOGS / name).to_json() == _unskipped(LOGS / name)


def test_the_bulk_of_a_log_is_read_whole_and_unread_types_are_stubbed() -> None:
    """What the stubs are for, and that the rules' own types still arrive whole."""
    stats = ReadStats()
    rules = engine.RuleEngine(stats.tracker)
    entries = list(read_entries(LOGS / "clean_ga_websocket.jsonl", stats, wanted=rules.wants))
    whole = list(read_entries(LOGS / "clean_ga_websocket.jsonl"))
    assert [(e.index, e.line, e.t, e.dir, e.type) for e in entries] == [
        (e.index, e.line, e.t, e.dir, e.type) for e in whole]
    stubbed = [e for e, w in zip(entries, whole, strict=True) if e.event != w.event]
    assert stubbed and all(not rules.wants(e.type) for e in stubbed)
    assert all(e.event == {"type": e.event["type"]} for e in stubbed if e.dir == "in")
    assert any(e.type == "input_audio_buffer.append" and e.event == w.event
               for e, w in zip(entries, whole, strict=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_any_log_gives_the_same_report_with_and_without_stubs(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_text(text, encoding="utf-8")
        assert engine.diagnose(path).to_json() == _unskipped(path)


def test_an_error_still_finds_the_stubbed_client_event_it_answers(tmp_path: Path) -> None:
    """A stub keeps a client event's ``event_id``: errors name the client event by it."""
    lines = [
        '{"t":0.0,"ts":"2026-11-21T10:00:00.000Z","dir":"in","event":{"type":"response.created",'
        '"response":{"id":"resp_1"}}}',
        '{"t":0.1,"ts":"2026-11-21T10:00:00.100Z","dir":"out","event":{"type":"response.create",'
        '"event_id":"evt_A"}}',
        '{"t":0.2,"ts":"2026-11-21T10:00:00.200Z","dir":"out","event":{"type":"response.content_part.added",'
        '"event_id":"evt_B"}}',
        '{"t":0.3,"ts":"2026-11-21T10:00:00.300Z","dir":"in","event":{"type":"error","error":{'
        '"type":"invalid_request_error","code":"conversation_already_has_active_response",'
        '"message":"already has an active response resp_1","event_id":"evt_B"}}}',
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = engine.diagnose(path).to_json()
    assert report == _unskipped(path)
    assert "t=0.200s" in str(report["findings"])  # located by the stub's id
