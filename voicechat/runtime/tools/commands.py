"""Command tools: run a program with the call's arguments as JSON on stdin.

Stdout is the output; a non-zero exit is a failure the model is told about, with the tail of
stderr. The program runs in its own process group so a timeout or a cancel kills it and its
children; stdout is read up to :data:`MAX_STDOUT_BYTES` (the rest is counted and dropped, so a
chatty program can neither fill memory nor block on a full pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from typing import Any

from voicechat.runtime.tools.sources import CommandToolConfig

MAX_STDOUT_BYTES = 256 * 1024
STDERR_TAIL_BYTES = 1000


async def run_command(
    config: CommandToolConfig, arguments: dict[str, Any], timeout: float
) -> tuple[str, bool]:
    """``(output, ok)`` of one run; never raises for the program's faults."""
    program = config.command[0]
    try:
        process = await asyncio.create_subprocess_exec(
            *config.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            cwd=config.cwd,
        )
    except FileNotFoundError:
        if config.cwd is not None and not os.path.isdir(config.cwd):
            return (f"error: tool {config.name} runs in {config.cwd!r}, which is not a "
                    f"folder (fix cwd in {config.origin})"), False
        return (
            f"error: the command {program!r} of tool {config.name} was not found "
            f"(fix command in {config.origin})"
        ), False
    except PermissionError:
        return (
            f"error: the command {program!r} of tool {config.name} is not executable "
            f"(fix command in {config.origin})"
        ), False
    except OSError as exc:
        return f"error: tool {config.name} could not start {program!r}: {exc.strerror}", False
    try:
        stdout, dropped, stderr = await asyncio.wait_for(
            _talk(process, json.dumps(arguments).encode()), timeout
        )
    except TimeoutError:
        _kill(process)
        return (
            f"error: tool {config.name} did not finish within {timeout:g} s and was stopped",
            False,
        )
    finally:
        if process.returncode is None:
            _kill(process)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), 2.0)
    text = stdout.decode("utf-8", "replace")
    if dropped:
        text += f"\n[output truncated: {dropped} more bytes left out]"
    if process.returncode != 0:
        tail = stderr[-STDERR_TAIL_BYTES:].decode("utf-8", "replace").strip()
        return (
            f"error: tool {config.name} exited with status {process.returncode}"
            f"{': ' + tail if tail else ''}"
            f"{chr(10) + 'stdout: ' + text if text.strip() else ''}"
        ), False
    return text, True


async def _talk(process: asyncio.subprocess.Process, data: bytes) -> tuple[bytes, int, bytes]:
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None

    async def feed() -> None:
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.write(data)
            await process.stdin.drain()
            process.stdin.close()

    async def read_stdout() -> tuple[bytes, int]:
        assert process.stdout is not None
        kept, dropped = bytearray(), 0
        while chunk := await process.stdout.read(65536):
            room = MAX_STDOUT_BYTES - len(kept)
            kept += chunk[:room]
            dropped += max(0, len(chunk) - room)
        return bytes(kept), dropped

    async def read_stderr() -> bytes:
        assert process.stderr is not None
        tail = b""
        while chunk := await process.stderr.read(65536):
            tail = (tail + chunk)[-STDERR_TAIL_BYTES:]
        return tail

    _, (stdout, dropped), stderr = await asyncio.gather(feed(), read_stdout(), read_stderr())
    await process.wait()
    return stdout, dropped, stderr


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(process.pid, signal.SIGKILL)
