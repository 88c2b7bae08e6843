"""The local server as its own process, so a test can kill it the way a crash would.

An in-process :class:`~voicechat.server.app.LocalServer` can only be stopped politely; a killed
process drops every socket at once, which is the fault a client must survive.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
from pathlib import Path

from voicechat.commands.serve import READY_LINE

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``voicechat serve`` on a fixed loopback port; start, kill and start again."""

    def __init__(self, log: Path, *args: str, port: int | None = None) -> None:
        #: 0 until the first start: the server takes a free port itself and says which (a port
        #: picked free here could be taken by another test's server before this one bound it,
        #: and the readiness probe would then answer for that server); later starts reuse it
        self.port = port if port is not None else 0
        self.args = args
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "voicechat.cli", "serve", "--port", str(self.port),
                 *self.args],
                stdout=out, stderr=subprocess.STDOUT,
            )
        loop = asyncio.get_running_loop()
        end = loop.time() + READY_TIMEOUT_S
        while not await self._ready(start):
            if self.proc.poll() is not None or loop.time() > end:
                raise AssertionError(f"the server did not start: {self.log.read_text()[-2000:]}")
            await asyncio.sleep(0.05)

    async def _ready(self, log_offset: int) -> bool:
        """This start's ready line is in the log (the port taken), and the port answers."""
        if self.port == 0:
            said = self.log.read_bytes()[log_offset:].decode(errors="replace")
            found = READY_LINE.search(said)
            if found is None:
                return False
            self.port = int(found.group(2))
        return await self._listening()

    async def _listening(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """End the process with ``sig`` and wait until it is gone."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)
        while self.proc.poll() is None:
            await asyncio.sleep(0.05)
        self.proc = None
