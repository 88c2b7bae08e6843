"""``--no-ui`` driven by a pipe: each line is a typed message, one per turn; EOF ends the run.

Runs the installed command against the embedded local server (echo responder, tone voice) with
no mic and no speaker, so only the piped lines make turns.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import read_records

VOICECHAT = Path(sys.executable).parent / "voicechat"


def run_piped(tmp_path: Path, text: str, *extra: str) -> tuple[subprocess.CompletedProcess[str],
                                                                list[Any]]:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('local_voice = "tone"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    log = tmp_path / "log.jsonl"
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--transport", "websocket", "--mic",
         "none", "--speaker", "none", "--record", str(log), "--config", str(cfg), *extra],
        input=text, capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    return proc, read_records(log)


def test_piped_lines_are_sent_one_per_turn_and_eof_with_turns_ends_cleanly(
    tmp_path: Path,
) -> None:
    proc, records = run_piped(tmp_path, "hello there\n\nhow are you\n", "--turns", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sequence = [(r["dir"], r["event"]) for r in records]
    sent = [e["item"]["content"][0]["text"] for d, e in sequence
            if d == "out" and e.get("type") == "conversation.item.create"]
    assert sent == ["hello there", "how are you"]
    kinds = [e.get("type") for d, e in sequence if d in ("in", "out")]
    first_done = kinds.index("response.done")
    second_create = [i for i, k in enumerate(kinds) if k == "conversation.item.create"][1]
    assert first_done < second_create  # the second line waited for the first answer
    assert kinds.count("response.done") == 2
    assert "hello there" in proc.stdout and "how are you" in proc.stdout


def test_eof_before_the_turns_is_an_error_that_says_so(tmp_path: Path) -> None:
    proc, records = run_piped(tmp_path, "just one\n", "--turns", "2")
    assert proc.returncode == 1
    assert "stdin ended after 1 of 2 completed response(s)" in proc.stderr
    assert sum(1 for r in records if r["event"].get("type") == "response.done") == 1


def test_eof_without_turns_ends_after_the_last_answer(tmp_path: Path) -> None:
    proc, records = run_piped(tmp_path, "only line\n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sum(1 for r in records if r["event"].get("type") == "response.done") == 1
