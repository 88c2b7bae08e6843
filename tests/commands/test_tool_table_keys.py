"""A ``[voicechat.tools.NAME]`` table's unknown key is refused with the closest known one
(issue 55, item 15): ``descriptoin`` and a ``local_responder`` line TOML put into the table
were ignored, and ``comand`` said "command must be a list". Through ``voicechat tools``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFIG = """
[voicechat.tools.typo]
command = ["date"]
descriptoin = "the date"

[voicechat.tools.misplaced]
command = ["date"]
local_responder = "echo"

[voicechat.tools.nocmd]
comand = ["date"]

[voicechat.tools.fine]
command = ["date"]
description = "the date"
"""


def test_unknown_tool_keys_are_named_with_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = subprocess.run([sys.executable, "-m", "voicechat", "tools", "--config", str(config)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    text = " ".join((done.stdout + done.stderr).split())
    assert ("[voicechat.tools.typo]: unknown key 'descriptoin' (did you mean 'description'?)"
            in text), text
    assert ("[voicechat.tools.nocmd]: unknown key 'comand' (did you mean 'command'?)"
            in text), text
    assert "command must be a list" not in text
    assert ("[voicechat.tools.misplaced]: unknown key 'local_responder': local_responder is a "
            "setting of the file, which TOML read into this table because it comes after the "
            "table's header; move it above the first [table] header") in text, text
    rows = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")}
    assert "fine" in rows and not rows & {"typo", "misplaced", "nocmd"}, done.stdout
