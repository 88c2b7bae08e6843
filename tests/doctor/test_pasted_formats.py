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
