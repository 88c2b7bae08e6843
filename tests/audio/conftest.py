"""Fixtures for audio tests: the speaker echoing into the mic on the private PulseAudio daemon.

``pulse_echo`` loads ``scripts/pulse-echo.sh on`` (a module-loopback from ``speaker.monitor``
into ``micfeed``: 30 ms of latency, -6 dB) for one test and removes it afterwards, so no other
test ever hears an echo. Tests using it are marked ``audio`` and skip (fail under CI) only when
``pactl info`` fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import pulse_running, require_or_skip

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pulse-echo.sh"
START_PULSE = SCRIPT.with_name("start-pulse.sh")


@dataclass(frozen=True)
class EchoLoop:
    latency_ms: int
    gain_db: float
    #: PulseAudio's default adaptive rate (no ``adjust_time=0``): the path drifts (issue 53)
    adaptive: bool = False


def echo_loop(*args: str) -> str:
    """``scripts/pulse-echo.sh ARGS``: its output, or RuntimeError with its complaint."""
    return _echo(*args)


def _echo(*args: str) -> str:
    result = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=30, env=os.environ.copy()
    )
    if result.returncode != 0:
        raise RuntimeError(f"pulse-echo.sh {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def restart_pulse() -> None:
    """A fresh sound server for each echo test.

    Why: the echo tests pin the speaker-to-mic path at 30 ms. After a long real-time test the
    same daemon showed speaker underruns from a new client's first seconds and an echo delay of
    120 ms instead of ~30 (a full run failed the interruption test that way twice; alone, on a
    fresh daemon, it passes with no underrun), so one test's wear would decide the next one's
    outcome. ``start-pulse.sh`` brings the daemon back at the same socket with the same devices.
    """
    subprocess.run(["pactl", "exit"], capture_output=True, timeout=30, env=os.environ.copy())
    if not _gone_within(5.0):
        # still answering: start-pulse.sh would keep it, and the test would get the worn
        # daemon this restart is for (a suspect of the first serial test's chance failures,
        # issue 77, since only that test follows the daemon that served the parallel phase)
        print("restart_pulse: the old daemon did not exit within 5 s; killing it",
              file=sys.stderr)
        subprocess.run(["pulseaudio", "--kill"], capture_output=True, timeout=30,
                       env=os.environ.copy())
        assert _gone_within(10.0), "the old PulseAudio daemon would not stop"
    subprocess.run(["bash", "-c", f". {START_PULSE} >/dev/null"], timeout=60, check=True,
                   env=os.environ.copy())
    assert pulse_running(), "PulseAudio did not come back: see $VOICECHAT_PULSE_DIR/pulse.log"


def _gone_within(seconds: float) -> bool:
    """Whether the daemon stops answering (its socket refuses) within ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not pulse_running():
            return True
        time.sleep(0.05)
    return not pulse_running()


@pytest.fixture
def pulse_echo() -> Iterator[EchoLoop]:
    require_or_skip(
        pulse_running(),
        "PulseAudio is not running (`pactl info` failed): run `. scripts/start-pulse.sh`",
    )
    loop = EchoLoop(latency_ms=30, gain_db=-6.0)
    echo_afresh(loop)
    try:
        yield loop
    finally:
        _echo("off")


def echo_afresh(loop: EchoLoop) -> None:
    """A fresh sound server with ``loop`` on: each echo test's start, and each of its retries
    after the machine stalled (tests/realtime.py)."""
    restart_pulse()
    _echo("on", str(loop.latency_ms), str(loop.gain_db), *(["adaptive"] if loop.adaptive else []))
    assert _echo("status").startswith("on ")
