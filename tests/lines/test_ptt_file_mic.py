"""``--mode ptt --mic FILE`` in ``--no-ui`` (issue 55, item 3): the file is what the person says
while the talk key is down (the TUI holds it until the key, tests/ui/test_app_runtime.py), and
``--no-ui`` has no talk key, so the pair is refused before anything starts, with the fix. It
used to play out unheard and end "after 0 of 1 completed response(s)", exit code 1, no hint.

The installed command as a subprocess, as a script runs it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.commands.no_ui import PROVIDER_VARIABLES, VOICECHAT
from tests.speech import TEST_PHRASES, speech_wav


def test_ptt_with_a_file_mic_is_refused_in_no_ui(tmp_path: Path) -> None:
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], tail_s=0.5)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--mode", "ptt", "--mic", str(wav), "--speaker", "none",
         "--turns", "1", "--record", str(tmp_path / "log.jsonl"), "--config", str(cfg)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env,
        check=False)
    assert proc.returncode == 2, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert proc.stderr.strip() == (
        f"voicechat: --mode ptt with --mic {wav}: in push-to-talk the file is heard only while "
        "the talk key is down, and --no-ui has no talk key; use --mode vad (the server hears "
        "the file's turns), type the lines on stdin, or drop --no-ui and press the key in the "
        "TUI")
    assert proc.stdout == ""  # nothing started: no embedded server, no session
    assert not (tmp_path / "log.jsonl").exists()
