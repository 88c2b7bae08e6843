"""GPT-Live and Gemini Live have no push-to-talk (issue 55, item 17): ``--mode ptt`` was
accepted and ran hands-free. Refused before connecting (the server is a port nothing listens
on: a run that got as far would say "cannot reach"), exit 2, naming where the mode came from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOWHERE = "http://127.0.0.1:9"


def voicechat(tmp_path: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECHAT_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), **env_vars)
    return subprocess.run([sys.executable, "-m", "voicechat", "--no-ui", "--server", NOWHERE,
                           "--mic", "none", "--speaker", "none", *args],
                          capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("args", "family"), [
    (("--api", "live", "--mode", "ptt"), "GPT-Live (--api live)"),
    (("--provider", "gemini", "--mode", "ptt"), "Gemini Live (--provider gemini)"),
])
def test_push_to_talk_is_refused_with_the_fix(tmp_path: Path, args: tuple[str, ...],
                                               family: str) -> None:
    done = voicechat(tmp_path, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"voicechat: --mode: {family} has no push-to-talk: the mic streams throughout"
            in done.stderr), done.stderr
    assert "for ptt use the Realtime API (--api realtime" in " ".join(
        done.stderr.split())
    assert "cannot reach" not in done.stdout + done.stderr


def test_the_variable_is_named_when_the_mode_came_from_it(tmp_path: Path) -> None:
    done = voicechat(tmp_path, "--provider", "gemini", VOICECHAT_MODE="transcribe")
    assert done.returncode == 2, done.stderr
    assert ("environment variable VOICECHAT_MODE: Gemini Live (--provider gemini) has no "
            "captions-only (transcribe) mode") in done.stderr, done.stderr
    assert "for transcribe use the Realtime API" in " ".join(done.stderr.split())


def test_hands_free_still_runs(tmp_path: Path) -> None:
    done = voicechat(tmp_path, "--api", "live", "--mode", "vad", "--turns", "1")
    assert done.returncode == 1 and "cannot reach" in done.stdout + done.stderr, done
