"""Every documented example of ``voicechat`` output is what a real run prints (issue 55: the
GPT-Live page promised ``:: user: '…'`` where the client prints ``user: hello``).

An example is a ```` ```console ```` block in the README or under ``docs/``: ``$ `` command
lines (the last one's output is the example; one before it may write a file the example
reads), then the lines it prints. The commands run as written through ``bash`` (the project's
``voicechat`` first on ``PATH``, no provider key in the environment, so ``--server local`` is
the embedded offline server), and the documented lines must appear in its output in that order;
``…`` in a documented line stands for any text (figures that vary: times, ports, token counts).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
KEY_PREFIXES = ("OPENAI", "AZURE", "XAI", "GEMINI", "GOOGLE", "VOICECHAT")


def examples() -> list[tuple[str, str, list[str]]]:
    """(where, command, the lines it is documented to print) for every console block."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            lines = match.group(1).splitlines()
            assert lines and lines[0].startswith("$ "), f"{page}: a console block starts with $"
            commands = [line[2:] for line in lines if line.startswith("$ ")]
            line_no = text[:match.start()].count("\n") + 1
            found.append((f"{page.relative_to(ROOT)}:{line_no}", "\n".join(commands),
                          lines[len(commands):]))
    return found


def pattern(documented: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in documented.split("…")) + "$")


def test_the_examples_are_found() -> None:
    where = {place.split(":")[0] for place, _, _ in examples()}
    assert {"README.md", "docs/howto/gpt-live.md", "docs/howto/gemini-live.md"} <= where


@pytest.mark.parametrize(("where", "command", "documented"), examples(),
                         ids=[place for place, _, _ in examples()])
def test_a_documented_example_prints_what_the_docs_say(tmp_path: Path, where: str, command: str,
                                                       documented: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(KEY_PREFIXES)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no config file of the machine's
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    # (the exit code is the example's own: `validate` exits 1 on the errors it shows)
    run = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=180, check=False)
    assert "Traceback" not in run.stderr, f"{where}: {command}\n{run.stderr}"
    printed = (run.stdout + run.stderr).splitlines()
    at = 0
    for line in documented:
        want = pattern(line)
        while at < len(printed) and not want.match(printed[at]):
            at += 1
        assert at < len(printed), (f"{where}: the docs say {line!r}, not printed (in order) by "
                                   f"{command}:\n" + "\n".join(printed))
        at += 1
