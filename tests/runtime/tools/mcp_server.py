"""A small real MCP server (stdio) for the tool tests, written with the official SDK.

Run as ``python mcp_server.py [MODE]``. Tools: ``get_weather(city)`` (text), ``add(a, b)``,
``crash()`` (the process dies mid-call), ``hang()`` (never answers), ``huge()`` (a 2 MB text),
``picture()`` (an image and a text block), ``fails()`` (raises: ``isError``), ``dotted.name``
(a name the Realtime API would refuse). MODE ``broken-start`` exits before the handshake;
``noisy`` writes to stderr at start (it must land in the log file, not on the terminal);
``http:PORT`` serves streamable HTTP on 127.0.0.1:PORT instead of stdio. ``add_tool()`` adds
``brand_new`` and sends ``tools/list_changed``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ImageContent, TextContent

MODE = sys.argv[1] if len(sys.argv) > 1 else ""
if MODE == "broken-start":
    print("this server is broken on purpose", file=sys.stderr)
    sys.exit(3)
if MODE == "hang-start":  # never answers the handshake
    import time

    time.sleep(3600)
if MODE == "noisy":
    print("NOISY-STDERR-LINE from the test MCP server", file=sys.stderr, flush=True)

server = MCPServer("voicechat-test")


@server.tool()
def get_weather(city: str) -> str:
    """The weather in a city right now."""
    return f"Sunny and 21 degrees in {city}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
def crash() -> str:
    """Dies in the middle of the call."""
    os._exit(7)


@server.tool()
async def hang() -> str:
    """Never answers."""
    await asyncio.sleep(3600)
    return "late"


@server.tool()
def huge() -> str:
    """A result far too big for a conversation."""
    return "z" * 2_000_000


@server.tool()
def picture() -> list[ImageContent | TextContent]:
    """An image and a caption."""
    data = base64.b64encode(b"\x89PNG fake image bytes" * 10).decode()
    return [
        ImageContent(type="image", data=data, mime_type="image/png"),
        TextContent(type="text", text="a red square"),
    ]


@server.tool()
def fails() -> str:
    """Always raises."""
    raise RuntimeError("the database is down")


@server.tool(name="dotted.name")
def dotted() -> str:
    """A tool whose name has a dot."""
    return "dotted ok"


def brand_new() -> str:
    """Appeared later."""
    return "new"


@server.tool()
async def add_tool(ctx: Context) -> str:
    """Adds the tool brand_new and tells the client its list changed."""
    server.add_tool(brand_new)
    await ctx.session.send_tool_list_changed()
    return "added"


if __name__ == "__main__":
    if MODE.startswith("http:"):  # streamable HTTP on 127.0.0.1:<port>
        server.run("streamable-http", host="127.0.0.1", port=int(MODE.split(":")[1]))
    else:
        server.run()
