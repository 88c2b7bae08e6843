"""Real MCP servers for the hosted-MCP tests, built with the official ``mcp`` SDK (2.x).

Run as a child process (``python -m tests.server.hosted_mcp.mcp_servers``) so that a tool can
really crash the server (``os._exit``) and a test can watch the client survive it. The server
binds 127.0.0.1 on a port the OS picks, prints ``PORT <n>`` once the socket listens (uvicorn
accepts the queued connections when it is up), and serves streamable HTTP on ``/mcp``.

Options: ``--token T`` answers 401 unless ``Authorization: Bearer T`` comes with the request;
``--header NAME:VALUE`` likewise for a custom header; ``--crash-on-list`` kills the process when
a ``tools/list`` request arrives, ``--list-delay S`` answers it S seconds late; ``--json``
answers with JSON bodies instead of SSE streams.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def build_server() -> MCPServer:
    server = MCPServer("voicechat-test-tools")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
    def delete_everything(confirm: bool) -> str:
        """A destructive tool, for approval filters."""
        return "deleted" if confirm else "kept"

    @server.tool()
    def fail(reason: str) -> str:
        """Always raises."""
        raise ValueError(f"the tool failed: {reason}")

    @server.tool()
    def big(megabytes: float) -> str:
        """A text of the given size."""
        return "x" * int(megabytes * 1024 * 1024)

    @server.tool()
    async def sleep_forever() -> str:
        """Never answers."""
        await anyio.sleep(3600)
        return "woke up"

    calls = {"bump": 0}

    @server.tool()
    def bump() -> int:
        """Counts its calls (a side effect a test can see)."""
        calls["bump"] += 1
        return calls["bump"]

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def bumps() -> int:
        """How many times bump ran."""
        return calls["bump"]

    @server.tool()
    def crash() -> str:
        """Kills the server process mid-call."""
        os._exit(3)

    return server


def guarded(
    app: App,
    *,
    token: str | None,
    header: tuple[str, str] | None,
    crash_on_list: bool,
    list_delay: float = 0.0,
):
    """Wrap the MCP app: 401 without the credentials; die on (or delay) ``tools/list``."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        allowed = True
        if token is not None and headers.get("authorization") != f"Bearer {token}":
            allowed = False
        if header is not None and headers.get(header[0].lower()) != header[1]:
            allowed = False
        if not allowed:
            body = json.dumps({"error": "unauthorized"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if (crash_on_list or list_delay) and scope.get("method") == "POST":
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = bool(message.get("more_body"))
            body = b"".join(chunks)
            if b'"tools/list"' in body:
                if crash_on_list:
                    os._exit(4)
                await asyncio.sleep(list_delay)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await app(scope, replay, send)
            return
        await app(scope, receive, send)

    return wrapper


async def serve(args: argparse.Namespace) -> None:
    server = build_server()
    app: App = server.streamable_http_app(json_response=args.json)
    header = tuple(args.header.split(":", 1)) if args.header else None
    wrapped = guarded(
        app,
        token=args.token,
        header=header,  # type: ignore[arg-type]
        crash_on_list=args.crash_on_list,
        list_delay=args.list_delay,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(wrapped, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token")
    parser.add_argument("--header")
    parser.add_argument("--crash-on-list", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--list-delay", type=float, default=0.0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
