"""Fixtures for the client tests: the private PulseAudio daemon's address and a check for it.

Tests marked ``audio`` need the daemon started by ``scripts/start-pulse.sh`` (CI starts it). They
skip only when ``pactl info`` fails, and the skip message says how to start it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

_PULSE_DIR = os.environ.get("VOICECHAT_PULSE_DIR", f"/tmp/voicechat-pulse-{os.getuid()}")
# PortAudio reads these when sounddevice is first imported, so set them before any test runs.
os.environ.setdefault("XDG_RUNTIME_DIR", _PULSE_DIR)
os.environ.setdefault("PULSE_SERVER", f"unix:{_PULSE_DIR}/pulse/native")


def pulse_running() -> bool:
    if shutil.which("pactl") is None:
        return False
    try:
        result = subprocess.run(["pactl", "info"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.fixture
def pulse() -> None:
    require_or_skip(
        pulse_running(),
        "PulseAudio is not running (`pactl info` failed): run `. scripts/start-pulse.sh`",
    )


@pytest.fixture(scope="session")
def two_questions_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two of the grammar's phrases, 4 s apart (room for the tone-voice reply in between)."""
    from tests.speech import TEST_PHRASES, speech_wav

    return speech_wav(tmp_path_factory.mktemp("wav") / "two_questions.wav", TEST_PHRASES[:2],
                      gap_s=4.0, tail_s=1.0)


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def events(records: list[dict[str, Any]], direction: str | None = None) -> list[dict[str, Any]]:
    return [r["event"] for r in records if direction is None or r["dir"] == direction]
