"""The GPT-Live rules: each fires exactly on the log made to show its pitfall, nothing fires
on the clean logs, and the thresholds hold (what must fire, what must stay quiet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.test_skip import _unskipped
from tests.fixtures.live.make_logs import BUILDERS, EXPECTED, LOGS, MIC_100MS, LiveLog
from voicechat.doctor import diagnose
from voicechat.doctor import engine as doctor_engine
from voicechat.doctor.rules import RULES
from voicechat.eventlog.reader import ReadStats, read_entries


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_live_rules_fire_exactly_on_their_logs(name: str) -> None:
    report = diagnose(LOGS / name)
    assert report.dialect == "live"
    assert {f.rule for f in report.findings} == EXPECTED[name]
    for finding in report.findings:
        assert finding.count == 1 and finding.evidence and finding.fix.strip()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_committed_live_logs_match_their_builders(name: str, tmp_path: Path) -> None:
    log = BUILDERS[name](tmp_path / name)
    assert (tmp_path / name).read_bytes() == (LOGS / name).read_bytes(), (
        "regenerate with: .venv/bin/python tests/fixtures/live/make_logs.py")
    assert diagnose(LOGS / name).events == len(log.records)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_live_reports_are_the_same_with_and_without_stubs(name: str) -> None:
    assert doctor_engine.diagnose(LOGS / name).to_json() == _unskipped(LOGS / name)


def write(tmp_path: Path, log: LiveLog) -> Path:
    path = tmp_path / "log.jsonl"
    log.log.write_ours(path)
    return path


def rules(path: Path) -> set[str]:
    return {f.rule for f in diagnose(path).findings}


def test_a_short_mic_pause_during_speech_is_not_flagged(tmp_path: Path) -> None:
    log = LiveLog().start().run(0.5).user("Hi.").run(0.3)
    log.mic_on = False
    log.say("Hello ", "there.")  # about 0.4 s without appends: under the 1 s threshold
    log.mic_on = True
    log.run(0.5).close()
    assert rules(write(tmp_path, log)) == set()


def test_a_mic_pause_after_a_documented_mute_is_deliberate(tmp_path: Path) -> None:
    log = LiveLog().start().run(0.5)
    log.client_raw("session.input_audio.mute")
    log.mic_on = False
    log.say("One ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight ", "nine.")
    log.client_raw("session.input_audio.unmute")
    log.mic_on = True
    log.run(0.5).close()
    assert rules(write(tmp_path, log)) == set()


def test_a_mic_that_never_resumes_during_speech_is_flagged_at_the_end(tmp_path: Path) -> None:
    log = LiveLog().start().run(0.5)
    log.mic_on = False
    log.say("One ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight ", "nine.")
    log.run(1.0)
    assert rules(write(tmp_path, log)) == {"live-mic-paused-while-speaking"}


def test_a_delegation_answered_by_thinking_is_answered(tmp_path: Path) -> None:
    log = LiveLog().start().run(0.3)
    log.server("session.delegation.created", offset_ms=300, delegation={
        "id": "item_d", "type": "delegation", "target": "client"})
    log.client_raw("session.thinking.append", content="Working on it.", delegation_id="item_d")
    log.run(12.0).close()
    assert rules(write(tmp_path, log)) == set()


def test_a_delegation_still_open_when_the_log_stops_at_once_is_inconclusive(
        tmp_path: Path) -> None:
    log = LiveLog().start().run(0.3)
    log.server("session.delegation.created", offset_ms=300, delegation={
        "id": "item_d", "type": "delegation", "target": "client"})
    log.run(1.0)
    assert rules(write(tmp_path, log)) == set()


def test_a_responses_delegation_is_not_the_clients_to_answer(tmp_path: Path) -> None:
    log = LiveLog(delegation={"type": "responses", "responses": {"model": "gpt-5.5"}})
    log.start().run(0.3)
    log.server("session.delegation.created", offset_ms=300, delegation={
        "id": "item_r", "type": "delegation", "target": "responses", "response_id": "resp_1"})
    log.run(12.0).close()
    assert rules(write(tmp_path, log)) == set()


def test_over_webrtc_a_command_after_session_started_is_not_a_wrong_first_event(
        tmp_path: Path) -> None:
    log = LiveLog(webrtc=True).start()
    log.client_raw("session.commentary.append", content="Say hi.", delegation_id=None)
    log.run(0.5).close()
    assert rules(write(tmp_path, log)) == set()


def test_an_append_within_the_limit_is_fine_and_over_it_is_flagged(tmp_path: Path) -> None:
    log = LiveLog().start()
    log.client_raw("session.thinking.append", content="x" * 1700, delegation_id=None)
    log.run(0.3).close()
    assert rules(write(tmp_path, log)) == set()
    log = LiveLog().start()
    log.client_raw("session.thinking.append", content="x" * 1900, delegation_id=None)
    log.run(0.3).close()
    assert rules(write(tmp_path, log)) == {"live-append-over-limit"}


def test_a_refused_append_the_client_side_does_not_show_is_flagged_from_the_error(
        tmp_path: Path) -> None:
    path = tmp_path / "server_only.jsonl"
    events: list[dict[str, Any]] = [
        {"type": "session.started", "event_id": "e1", "session": {
            "id": "live_1", "expires_at": 1, "model": "gpt-live-1", "status": "active"}},
        {"type": "error", "event_id": "e2", "error": {
            "type": "invalid_request_error", "code": "context_append_too_long",
            "message": "Context append text must not exceed 500 tokens"}},
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert rules(path) == {"live-append-over-limit"}


def test_a_realtime_log_never_wakes_the_live_rules(tmp_path: Path) -> None:
    path = tmp_path / "rt.jsonl"
    events = [{"type": "session.created", "event_id": "e1", "session": {"type": "realtime"}},
              {"type": "input_audio_buffer.append", "audio": MIC_100MS},
              {"type": "error", "event_id": "e2", "error": {
                  "type": "invalid_request_error", "code": "unknown_parameter",
                  "message": "Unknown parameter: 'session.foo'.", "param": "session.foo"}}]
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    report = diagnose(path)
    assert report.dialect != "live"
    assert not {f.rule for f in report.findings} & {r for s in EXPECTED.values() for r in s}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_declared_event_types_give_the_same_live_findings_as_feeding_everything(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def report() -> list[tuple[str, int, list[str]]]:
        stats = ReadStats()
        found = doctor_engine.diagnose_entries(read_entries(LOGS / name, stats), stats, name)
        return [(f.rule, f.count, [e.detail for e in f.evidence]) for f in found.findings]

    dispatched = report()
    for rule in RULES:
        monkeypatch.setattr(rule, "feeds_on", None)
    assert dispatched == report()
