"""Real MCP servers for the hosted-MCP tests: child processes (``mcp_servers.py``) and two
sockets that misbehave below HTTP (one refuses, one accepts and never answers)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class McpProcess:
    """A running test MCP server: its URL and its process (to see it die)."""

    url: str
    process: subprocess.Popen[str]


def start_mcp_server(*args: str) -> McpProcess:
    """Start ``mcp_servers.py`` with ``args``; returns once it listens on 127.0.0.1."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.server.hosted_mcp.mcp_servers", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the socket listens (or the child died)
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the test MCP server did not start: {line!r}")
    port = int(line.split()[1])
    return McpProcess(f"http://127.0.0.1:{port}/mcp", process)


def stop(server: McpProcess) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.process.stdout is not None:
        server.process.stdout.close()


async def bumps(url: str) -> int:
    """How many times the ``bump`` tool of the server at ``url`` ran (asked over MCP)."""
    from voicechat.server.hosted_mcp.client import call_tool
    from voicechat.server.hosted_mcp.config import McpServerConfig
    from voicechat.server.hosted_mcp.limits import McpLimits

    limits = McpLimits(list_timeout_s=20, call_timeout_s=20, approval_timeout_s=30)
    result = await call_tool(McpServerConfig("tools", 0, url), "bumps", {}, limits)
    assert result.output is not None, result.error
    return int(result.output)


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[McpProcess]:
    """A well-behaved MCP server (add, echo, fail, big, sleep_forever, crash, …), shared by
    the tests of a module; tests that crash it use :func:`fresh_mcp_server`."""
    server = start_mcp_server()
    yield server
    stop(server)


@pytest.fixture
def fresh_mcp_server() -> Iterator[McpProcess]:
    server = start_mcp_server()
    yield server
    stop(server)


@pytest.fixture(scope="module")
def token_mcp_server() -> Iterator[McpProcess]:
    """Answers 401 unless ``Authorization: Bearer s3cret-token-value`` and
    ``X-Api-Key: k3y-header-value`` come with the request."""
    server = start_mcp_server(
        "--token", "s3cret-token-value", "--header", "X-Api-Key:k3y-header-value"
    )
    yield server
    stop(server)


@pytest.fixture
def refused_url() -> str:
    """A 127.0.0.1 port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mcp"


@pytest.fixture
async def hanging_url() -> AsyncIterator[str]:
    """A server that accepts connections, reads, and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/mcp"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()
