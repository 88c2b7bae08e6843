"""Listing the MCP servers of a session, and the tools they offer the responder.

On ``session.update`` (and at session start) the engine hands :meth:`McpServers.configure` the
session's MCP tools. Each server to list gets an ``mcp_list_tools`` item and one task:

    conversation.item.added   {item: {type: mcp_list_tools, server_label, tools: []}}
    mcp_list_tools.in_progress {item_id}
    … the MCP client lists (bounded by McpLimits.list_timeout_s) …
    mcp_list_tools.completed  {item_id}            | mcp_list_tools.failed {item_id}
    conversation.item.done    {item: {…, tools}}   | conversation.item.done {item: {…, tools: []}}
                                                   | error {code: mcp_list_tools_failed, …}

The item exists before ``in_progress`` because the Agents SDK (JS) retrieves it on that event
(``conversation.item.retrieve``), and it ends with ``.done`` either way so every added item is
closed. After a failure the session stays up, only without that server's tools; the ``error``
says which server, why, and what to do.

Decision: a server is listed again only when its settings change (URL, credentials,
``allowed_tools``) or its last listing failed. Clients such as the Agents SDK resend their whole
session on every update, and a new ``mcp_list_tools`` item each time would pile up in the
conversation. A server removed from ``tools`` is forgotten (a listing in flight is cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicechat.protocol.errors import ProtocolError
from voicechat.server.hosted_mcp.client import ListedTool, McpFailure, list_tools
from voicechat.server.hosted_mcp.config import McpServerConfig
from voicechat.server.hosted_mcp.items import list_tools_event, list_tools_item
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.ids import new_id

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
ItemStep = Callable[[JSON], None]
Lister = Callable[[McpServerConfig, McpLimits], Any]


@dataclass(frozen=True)
class OfferedTool:
    """A tool the model may call: which server, the tool as listed, whether to ask first."""

    server: McpServerConfig
    tool: ListedTool

    @property
    def approval_required(self) -> bool:
        return self.server.approval.required(self.tool.name, self.tool.read_only)


def listing_failed(server: McpServerConfig, failure: McpFailure) -> ProtocolError:
    """The ``error`` event after a failed listing: the server, the cause, what to do."""
    return ProtocolError(
        "mcp_list_tools_failed",
        f"{failure.message} The session goes on without the tools of MCP server "
        f"'{server.server_label}'; fix the server or the tool's settings, then send "
        "session.update with the tool again to retry.",
        f"session.tools[{server.index}]",
        "server_error",
    )


def _settings(server: McpServerConfig) -> tuple[Any, ...]:
    """What makes a listing stale when it changes (the approval policy does not)."""
    allowed = server.allowed_tools
    return (
        server.server_url,
        server.connector_id,
        server.tunnel_id,
        tuple(sorted(server.headers.items())),
        server.authorization,
        None if allowed is None else (allowed.tool_names, allowed.read_only),
    )


class McpServers:
    """The session's MCP servers: their listings, running and done, and the tools offered."""

    def __init__(
        self,
        *,
        emit: Emit,
        begin_item: ItemStep,
        finish_item: ItemStep,
        error: Callable[[ProtocolError], None],
        limits: McpLimits,
        lister: Lister = list_tools,
    ) -> None:
        self._emit = emit
        self._begin_item = begin_item
        self._finish_item = finish_item
        self._error = error
        self.limits = limits
        self._lister = lister
        self.servers: dict[str, McpServerConfig] = {}
        self._listed: dict[str, list[ListedTool]] = {}
        self._failed: set[str] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # --- configuration ------------------------------------------------------------------------

    def configure(self, configs: list[McpServerConfig]) -> None:
        """The session's MCP tools after an update: list what is new, changed or failed."""
        wanted = {c.server_label: c for c in configs}
        for label in list(self.servers):
            if label not in wanted:
                self._forget(label)
        for label, config in wanted.items():
            old = self.servers.get(label)
            self.servers[label] = config
            if (
                old is not None
                and _settings(old) == _settings(config)
                and label not in self._failed
            ):
                continue
            self._cancel(label)
            self._listed.pop(label, None)
            self._failed.discard(label)
            self._tasks[label] = asyncio.ensure_future(self._list(config))

    def _forget(self, label: str) -> None:
        self._cancel(label)
        self.servers.pop(label, None)
        self._listed.pop(label, None)
        self._failed.discard(label)

    def _cancel(self, label: str) -> None:
        task = self._tasks.pop(label, None)
        if task is not None and not task.done():
            task.cancel()

    # --- the listing --------------------------------------------------------------------------

    async def _list(self, server: McpServerConfig) -> None:
        item_id = new_id("item")
        self._begin_item(list_tools_item(item_id, server.server_label))
        self._emit(list_tools_event("in_progress", item_id))
        try:
            tools = await self._lister(server, self.limits)
        except asyncio.CancelledError:
            # the tool was changed or removed meanwhile (or the session closes): close the item
            self._emit(list_tools_event("failed", item_id))
            self._finish_item(list_tools_item(item_id, server.server_label))
            raise
        except McpFailure as failure:
            self._failed.add(server.server_label)
            self._emit(list_tools_event("failed", item_id))
            self._finish_item(list_tools_item(item_id, server.server_label))
            self._error(listing_failed(server, failure))
            return
        allowed = [t for t in tools if server.allows(t.name, t.read_only)]
        self._listed[server.server_label] = allowed
        self._emit(list_tools_event("completed", item_id))
        self._finish_item(list_tools_item(item_id, server.server_label, allowed))

    # --- what responses see -------------------------------------------------------------------

    @property
    def listing(self) -> bool:
        """Is a listing still running?"""
        return any(not task.done() for task in self._tasks.values())

    async def settled(self) -> None:
        """Wait for the listings in flight (each is bounded by its own timeout)."""
        running = [t for t in self._tasks.values() if not t.done()]
        if running:
            await asyncio.wait(running)

    def offered(self) -> list[OfferedTool]:
        """Every tool the listed servers offer, in ``tools`` order, then the server's."""
        return [
            OfferedTool(self.servers[label], tool)
            for label in self.servers
            for tool in self._listed.get(label, [])
        ]

    def find(self, name: str, server_label: str | None = None) -> OfferedTool | None:
        """The offered tool ``name`` (of ``server_label`` when given; else the first server
        that lists it)."""
        for offer in self.offered():
            if offer.tool.name == name and server_label in (None, offer.server.server_label):
                return offer
        return None

    def stop(self) -> list[asyncio.Task[None]]:
        """Cancel the listings in flight; the engine awaits the returned tasks on close."""
        tasks = list(self._tasks.values())
        for task in tasks:
            if not task.done():
                task.cancel()
        self._tasks.clear()
        return tasks


async def drain(tasks: list[asyncio.Task[None]]) -> None:
    """Await cancelled tasks, ignoring how they ended."""
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
