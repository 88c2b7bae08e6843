"""Command tools as real subprocesses: JSON in, stdout out, failures and limits said plainly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.helpers import until
from voicechat.runtime.tools import commands
from voicechat.runtime.tools.commands import run_command
from voicechat.runtime.tools.sources import CommandToolConfig


def tool(*argv: str) -> CommandToolConfig:
    return CommandToolConfig("t", "[voicechat.tools.t]", tuple(argv))


def py(code: str) -> CommandToolConfig:
    return tool(sys.executable, "-c", code)


async def test_arguments_arrive_as_json_on_stdin() -> None:
    out, ok = await run_command(
        py("import json,sys; a=json.load(sys.stdin); print(a['x']*2)"), {"x": 21}, 10
    )
    assert (out, ok) == ("42\n", True)


async def test_a_non_zero_exit_is_a_failure_with_the_end_of_stderr() -> None:
    code = "import sys; print('partial'); sys.stderr.write('x'*5000 + 'the real reason'); exit(4)"
    out, ok = await run_command(py(code), {}, 10)
    assert not ok
    assert out.startswith("error: tool t exited with status 4: ")
    assert out.count("x") < 1100 and "the real reason" in out and "stdout: partial" in out


async def test_stdout_is_bounded_and_the_rest_counted() -> None:
    limit = commands.MAX_STDOUT_BYTES
    out, ok = await run_command(py(f"import sys; sys.stdout.write('y'*{limit + 12345})"), {}, 20)
    assert ok and out.split("\n[output")[0] == "y" * limit
    assert out.endswith("[output truncated: 12345 more bytes left out]")


async def test_a_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess,sys,time; "
        "c=subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']); "
        f"open({str(pid_file)!r},'w').write(str(c.pid)); time.sleep(60)"
    )
    out, ok = await run_command(py(code), {}, 1.0)
    assert not ok and "did not finish within 1 s" in out
    child = int(pid_file.read_text())

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"  # dead, not yet reaped

    await until(gone, "the tool's child process to be killed with its group")


async def test_not_found_and_not_executable(tmp_path: Path) -> None:
    out, ok = await run_command(tool("no-such-program-for-voicechat"), {}, 5)
    assert not ok and "was not found (fix command in [voicechat.tools.t])" in out
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    out, ok = await run_command(tool(str(script)), {}, 5)
    assert not ok and "is not executable" in out
