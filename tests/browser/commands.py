"""``voicechat proxy`` / ``voicechat watch`` as real subprocesses, their ``--no-ui`` lines kept.

The acceptance tests run the commands as a user does (the installed entry point, the CLI's
parsing, the feed printer) rather than their internals, and read what they print.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.helpers import until

VOICECHAT = str(Path(sys.executable).parent / "voicechat")


class CommandOutput:
    """Every line a command printed so far (stdout and stderr together)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def text(self) -> str:
        return "\n".join(self.lines)

    def matching(self, pattern: str) -> list[str]:
        return [line for line in self.lines if re.search(pattern, line)]

    async def wait_for(self, pattern: str, what: str, timeout: float = 30.0) -> str:
        found = await until(lambda: self.matching(pattern), lambda: (
            f"{what}; the command printed:\n{self.text()[-4000:]}"), timeout=timeout)
        return found[0]


@contextlib.asynccontextmanager
async def command(*args: str, env: dict[str, str] | None = None,
                  open_stdin: bool = False) -> AsyncIterator[CommandOutput]:
    """Run ``voicechat ARGS``; on exit, SIGINT (what Ctrl-C does) and wait for it to finish.

    ``open_stdin`` gives it a stdin that stays open, as a terminal's does (``watch --no-ui``
    leaves when its stdin ends: that is how a script piping events into it says it is done).
    """
    out = CommandOutput()
    proc = await asyncio.create_subprocess_exec(
        VOICECHAT, *args,
        stdin=asyncio.subprocess.PIPE if open_stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True)

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            out.lines.append(raw.decode(errors="replace").rstrip("\n"))

    reader = asyncio.create_task(read())
    try:
        yield out
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        await asyncio.wait_for(reader, 10)
        if proc.stdin is not None:
            proc.stdin.close()
