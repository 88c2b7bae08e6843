"""Run the installed ``voicechat --no-ui`` against a server already listening, as a user would:
piped lines typed, ``--record`` log read back. Shared by the end-to-end tool tests."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.helpers import read_records

VOICECHAT = Path(sys.executable).parent / "voicechat"
#: the variables that could point the client at a real service: never passed on
PROVIDER_VARIABLES = ("OPENAI", "AZURE", "VOICECHAT", "XAI", "GEMINI", "GOOGLE")


async def run_no_ui(
    tmp_path: Path, base_url: str, transport: str | None, text: str, *extra: str,
    events: bool = True,
) -> tuple[int, str, str, list[dict[str, Any]]]:
    """The client against ``base_url`` with ``text`` on stdin (no terminal); returns its exit
    code, stdout, stderr and the records of its event log. ``tmp_path/cfg.toml`` is its config
    (written empty unless the test wrote one). ``transport=None``: the default (no flag).
    ``events``: print the event flow (``--events``,
    which most tests read) rather than the conversation."""
    cfg = tmp_path / "cfg.toml"
    if not cfg.exists():
        cfg.write_text("", encoding="utf-8")
    log = tmp_path / "log.jsonl"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)
    }
    env["XDG_STATE_HOME"] = str(tmp_path / "state")  # MCP servers' stderr logs land here
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT),
        "--no-ui",
        "--server",
        base_url,
        *(["--transport", transport] if transport is not None else []),
        "--mic",
        "none",
        "--speaker",
        "none",
        "--record",
        str(log),
        "--config",
        str(cfg),
        *(["--events"] if events else []),
        *extra,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    communicating = asyncio.ensure_future(proc.communicate(text.encode()))
    try:
        out, err = await asyncio.wait_for(asyncio.shield(communicating), 150)
    except TimeoutError:
        # A hang says nothing by itself: kill the client, then fail with what it printed and
        # the last events it logged (communicate() still collects the pipes after the kill).
        proc.kill()
        out, err = await communicating
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:] \
            if log.exists() else ["(no event log)"]
        raise AssertionError(
            "voicechat --no-ui still running after 150 s; killed.\n--- stdout (end)\n"
            + out.decode()[-2000:] + "\n--- stderr (end)\n" + err.decode()[-2000:]
            + "\n--- its event log (end)\n" + "\n".join(line[:300] for line in tail)
        ) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(), err.decode(), read_records(log)


def kinds(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(dir, type)`` of each record, in order."""
    return [(r["dir"], str(r["event"].get("type"))) for r in records]


class Terminal:
    """``voicechat --no-ui`` with a real pseudo-terminal as stdin: type lines, read its lines."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int) -> None:
        self.proc = proc
        self._master = master
        self.seen: list[str] = []

    def type(self, line: str) -> None:
        os.write(self._master, f"{line}\n".encode())

    def end_input(self) -> None:
        """Ctrl+D at the start of a line: the terminal's end of input."""
        os.write(self._master, b"\x04")

    async def line_with(self, text: str) -> str:
        """The next line of its output that contains ``text`` (failing if the run ends first)."""
        assert self.proc.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), 60)
            assert raw, f"the run ended before a line with {text!r}: {self.seen[-20:]}"
            self.seen.append(raw.decode())
            if text in self.seen[-1]:
                return self.seen[-1]


@asynccontextmanager
async def at_terminal(tmp_path: Path, base_url: str, *extra: str,
                      events: bool = True) -> AsyncIterator[Terminal]:
    """The client against ``base_url`` over WebSocket, stdin a pseudo-terminal (so ``ask``
    asks on a line); killed on the way out if it is still running. ``events``: as for
    :func:`run_no_ui`."""
    import pty

    cfg = tmp_path / "cfg.toml"
    if not cfg.exists():
        cfg.write_text("", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)
    }
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT),
        "--no-ui",
        "--server",
        base_url,
        "--transport",
        "websocket",
        "--mic",
        "none",
        "--speaker",
        "none",
        "--config",
        str(cfg),
        *(["--events"] if events else []),
        *extra,
        stdin=slave,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    try:
        yield Terminal(proc, master)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(master)
