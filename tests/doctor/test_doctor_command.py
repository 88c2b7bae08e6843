"""``voicechat doctor``: exit codes, text and JSON output, the CLI wiring."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicechat.commands import doctor

LOGS = Path(__file__).resolve().parent / "logs"
ROOT = Path(__file__).resolve().parents[2]


def test_clean_log_exits_0_and_says_what_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / "clean_ga_webrtc_logcat.txt", json_output=False) == 0
    out = capsys.readouterr().out
    assert "read 58 events from 62 lines; skipped 4 lines" in out
    assert "No problems found." in out


def test_findings_exit_1_with_rule_title_evidence_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / "several_problems_beta.jsonl", json_output=False) == 1
    out = capsys.readouterr().out
    assert "3 problem(s) found" in out
    for rule in ("concurrent-response", "cancel-without-response", "commit-too-small"):
        assert f"[{rule}]" in out
    assert "fix: " in out and "t=6.4" in out
    assert "dialect beta" in out


def test_json_output_for_ci(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / "commit_too_small_beta_ptt.json", json_output=True) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "JSON array of events" and data["dialect"] == "beta"
    assert data["events"] == 9 and data["skipped_lines"] == 0
    [finding] = data["findings"]
    assert finding["rule"] == "commit-too-small" and finding["count"] == 1
    assert finding["evidence"][0]["line"] == 92 and "40.00 ms" in finding["evidence"][0]["detail"]
    assert "100 ms" in finding["fix"]


def test_clean_json_has_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / "clean_beta_push_to_talk.json", json_output=True) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


@pytest.mark.parametrize("target", ["missing.jsonl", ".", "not_a_log.txt"])
def test_unreadable_input_exits_2(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / target, json_output=False) == 2
    err = capsys.readouterr().err
    assert err.startswith("voicechat doctor: ")
    assert any(w in err for w in ("no such file", "directory", "no Realtime events"))


def test_cli_wiring() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "doctor", str(LOGS / "rate_limited_ga_bare.jsonl"),
         "--json"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["findings"][0]["rule"] == "rate-limited"
