"""The how-to's examples (docs/howto/agent-frameworks.md) run as written.

The page's script and its two programs are taken from the page itself, so a framework upgrade
that breaks them, or an edit that leaves them wrong, fails here. Only the port changes: the
page says 8765, the server here takes any free one.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.foreign.drivers import ROOT, framework_python
from tests.helpers import local_server

PAGE = ROOT / "docs" / "howto" / "agent-frameworks.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize(("venv", "example"), [(".venv-livekit", 0), (".venv-pipecat", 1)],
                         ids=["livekit", "pipecat"])
async def test_the_example_says_the_scripted_answer_after_the_tool(
        tmp_path: Path, venv: str, example: int) -> None:
    [script] = [b for b in blocks("text") if "@call" in b]
    (tmp_path / "replies.txt").write_text(script, encoding="utf-8")
    python = framework_python(venv)
    async with local_server(responder=f"script:{tmp_path / 'replies.txt'}") as server:
        program = blocks("python")[example].replace("8765", str(server.port))
        proc = await asyncio.create_subprocess_exec(
            str(python), "-c", program, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=tmp_path)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        except TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
            pytest.fail(f"the example still ran after 30 s\n{err.decode()[-4000:]}")
    assert proc.returncode == 0, err.decode()[-4000:]
    expected = {".venv-livekit": "It is sunny in Paris.\n",
                ".venv-pipecat": "Let me check.\nIt is sunny in Paris.\n"}[venv]
    assert out.decode() == expected
