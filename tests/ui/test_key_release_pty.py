"""End to end on a pseudo-terminal: the real driver enables kitty event types and reads releases.

The app runs in a child process on a pty, exactly as in a terminal (``App.run()``, the Linux
driver chosen by the app), against the scripted handle. The test plays the terminal: it checks
the escape codes the app writes (Textual's kitty push, our flag 2, the pop on exit) and types
what a kitty-protocol terminal sends for holding and releasing the talk key. tmux does not
speak the kitty protocol, which is why this uses a bare pty.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys
from tests.ui.fakes import ScriptedHandle
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir

handle = ScriptedHandle(mode="ptt")
app = VoiceChatApp(handle, theme_dirs=[shipped_theme_dir()])
app.run()
with open(sys.argv[1], "w") as out:
    json.dump({"calls": handle.calls, "hold": app.hold_to_talk,
               "driver": type(app._driver).__name__ if app._driver else None,
               "style": handle.session.view.ptt_style}, out)
"""


class Pty:
    def __init__(self, result: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(result)], stdin=slave, stdout=slave, stderr=slave,
            cwd=ROOT, env=env, start_new_session=True)
        os.close(slave)
        self.output = ""

    def read_until(self, needle: str, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while needle not in self.output:
            left = end - time.monotonic()
            if left <= 0 or not self._read(left):
                tail = self.output[-2000:]
                raise AssertionError(f"no {needle!r} from the app; it wrote:\n{tail}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], min(timeout, 1.0))
        if not ready:
            return self.proc.poll() is None
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += data.decode("utf-8", "replace")
        return bool(data)

    def type(self, data: str) -> None:
        os.write(self.master, data.encode())
        time.sleep(0.3)  # one key event at a time, as a person types

    def finish(self, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self._read(0.2)
        while self._read(0.1):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_hold_to_talk_on_a_kitty_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEXTUAL", "PYTEST", "COV_"))}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="36", PYTHONPATH=str(ROOT))
    result = tmp_path / "result.json"
    term = Pty(result, env)
    try:
        term.read_until("Talk (toggle)")  # the footer: the app is up, still a toggle
        kitty_on = term.output.index("\x1b[>25u")
        assert term.output.index("\x1b[=27;1u") > kitty_on  # event types added to that entry
        term.type("\x1b[32;;32u")  # space pressed
        term.type("\x1b[32;1:2;32u")  # auto-repeat: the terminal reports event types
        term.type("\x1b[32;1:2;32u")
        term.read_until("Talk (hold)")
        term.type("\x1b[32;1:3u")  # released
        term.type("\x1b[97;;97u")  # an unbound letter, pressed and released
        term.type("\x1b[97;1:3u")
        term.type("\x1b[113;;113u")  # q quits
    finally:
        term.finish()
    assert term.proc.returncode == 0, term.output[-2000:]
    assert term.output.rindex("\x1b[<u") > term.output.index("\x1b[=27;1u")  # popped on exit
    outcome = json.loads(result.read_text())
    assert outcome["driver"] == "KeyReleaseDriver"
    assert outcome["hold"] is True and outcome["style"] == "release"
    assert outcome["calls"] == ["start", "talk_pressed", "set_ptt_style:release",
                                "talk_pressed", "talk_pressed", "talk_released", "stop"]
