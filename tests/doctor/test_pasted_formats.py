"""The doctor reads what people paste: Node's console.log output and bracket-timestamped logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LOGS = Path(__file__).resolve().parents[1] / "eventlog" / "logs"


@pytest.mark.parametrize(("name", "events"), [("node_console_inspect.log", 8),
                                               ("bracket_seconds.log", 6)])
def test_doctor_reads_the_pasted_log(name: str, events: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "doctor", str(LOGS / name), "--json"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["events"] == events
    assert report["format"] == "text log with inline events"
    assert report["dialect"] == "ga"


def test_a_giant_one_line_log_costs_bounded_memory(tmp_path: Path) -> None:
    # 64 MB on one line, then a real event: the doctor must neither load the line nor die.
    path = tmp_path / "giant.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type":"response.output_text.delta","delta":"')
        chunk = "x" * (1 << 20)
        for _ in range(64):
            out.write(chunk)
        out.write('"}\n{"type":"response.done","response":{"id":"resp_1","status":"completed"}}\n')
    # VmHWM is this process image's own peak: getrusage's ru_maxrss would carry over the
    # (much bigger) pytest parent's peak across fork and exec.
    probe = ("import re, sys\n"
             "from voicechat.doctor import diagnose\n"
             "r = diagnose(sys.argv[1])\n"
             "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
             "print(r.events, r.oversized_lines, int(hwm) // 1024)\n")
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                            text=True, check=True, timeout=120)
    events, oversized, peak_mb = (int(x) for x in result.stdout.split())
    assert (events, oversized) == (1, 1)
    assert peak_mb < 200, f"peak RSS {peak_mb} MB for a 64 MB line"


def test_doctor_says_unreadable_for_a_document_that_is_only_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 3000 + "]" * 3000)
    result = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "doctor", str(path)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "no Realtime events found" in result.stderr
    assert "Traceback" not in result.stderr


def test_log_controlled_strings_cannot_drive_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_text(
        json.dumps({"type": "session.created", "session": {"type": "realtime"}}) + "\n"
        + json.dumps({"type": "response.cancel", "event_id": "evt_\x1b[2J"}) + "\n"
        + json.dumps({"type": "error", "error": {
            "type": "invalid_request_error", "code": "response_cancel_not_active",
            "message": "no active response\x1b]0;pwned\x07", "event_id": "evt_\x1b[2J"}}) + "\n"
    )
    for command in (["doctor", str(path)], ["replay", str(path), "--no-ui", "--speed", "100"]):
        result = subprocess.run([sys.executable, "-m", "voicechat.cli", *command],
                                capture_output=True, text=True, check=False, timeout=60)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, command
        assert "\\x1b" in result.stdout, (command, result.stdout)
