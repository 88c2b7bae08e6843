"""The TUI needs a terminal (issue 55, item 5): with stdin or stdout a pipe, a file or nothing,
``voicechat`` says so and points to ``--no-ui`` (exit 2) instead of drawing escape codes into a
pipe and waiting for keys; ``--turns`` without ``--no-ui`` is refused as ``--events`` is.

The installed command as a subprocess, as a script or CI job runs it (no terminal at all).
"""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

from tests.commands.no_ui import PROVIDER_VARIABLES, VOICECHAT


def voicechat(tmp_path: Path, *args: str, stdin: int | None = subprocess.DEVNULL
              ) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    return subprocess.run([str(VOICECHAT), "--config", str(cfg), "--mic", "none", "--speaker",
                           "none", *args], stdin=stdin, capture_output=True, text=True,
                          timeout=30, env=env, check=False)


def test_no_terminal_refuses_the_tui_and_names_no_ui(tmp_path: Path) -> None:
    proc = voicechat(tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip() == (
        "voicechat: the TUI needs a terminal, and stdin is not one (a pipe, a file or nothing); "
        "run with --no-ui to print the conversation as lines (and send piped lines as "
        "messages)")
    assert proc.stdout == ""  # no escape codes in the pipe


def test_stdout_into_a_pipe_refuses_the_tui(tmp_path: Path) -> None:
    master, slave = pty.openpty()  # stdin is a terminal; stdout is the pipe
    try:
        proc = voicechat(tmp_path, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "the TUI needs a terminal, and stdout is not one" in proc.stderr
    assert proc.stdout == ""


def test_turns_without_no_ui_is_refused_like_events(tmp_path: Path) -> None:
    proc = voicechat(tmp_path, "--turns", "2")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "voicechat: --turns ends a --no-ui run after N answers, and this run has the TUI (you "
        "end it with q); add --no-ui or drop --turns")
