"""Hosted MCP in one session: what the engine holds and calls.

The engine stays a router: it hands this object the session's tools after an update
(:meth:`HostedMcp.configure`), every ``mcp_approval_response`` a client creates
(:meth:`HostedMcp.check_approval` before the item is added, :meth:`HostedMcp.approved` after),
and asks it for the tasks to end on close. The listings live in :class:`McpServers`, the calls
waiting for approval in :class:`Approvals`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from voicechat.protocol.errors import ProtocolError
from voicechat.server.hosted_mcp.approvals import Approvals, Decision
from voicechat.server.hosted_mcp.config import parse_mcp_tools
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.listing import Emit, ItemStep, McpServers
from voicechat.server.hosted_mcp.offer import McpToolSource
from voicechat.server.hosted_mcp.producer import McpCallProducer
from voicechat.server.item_producers import ItemProducer

APPROVAL_RESPONSE = "mcp_approval_response"


class Runner(Protocol):
    """What :meth:`HostedMcp.attach` extends of the response runner (its two plug-in lists)."""

    tool_sources: list[Any]
    producers: list[ItemProducer]


def unknown_approval_request(request_id: str) -> ProtocolError:
    """An ``mcp_approval_response`` answering no ``mcp_approval_request`` of the conversation.

    [unverified] The real wording is not recorded. Decided: the shape of the Responses API's
    message for an output without its call, naming the field, and refused before the item is
    added, so a typo cannot sit in the conversation looking like an answer.
    """
    return ProtocolError(
        None,
        f"No mcp_approval_request found for approval_request_id '{request_id}'. The "
        "mcp_approval_response must answer an mcp_approval_request item in this conversation.",
        "item.approval_request_id",
    )


class HostedMcp:
    """The MCP servers of one session, their listings, and the calls awaiting approval."""

    def __init__(
        self,
        *,
        emit: Emit,
        begin_item: ItemStep,
        finish_item: ItemStep,
        error: Callable[[ProtocolError], None],
        limits: McpLimits,
    ) -> None:
        self.limits = limits
        self.servers = McpServers(
            emit=emit, begin_item=begin_item, finish_item=finish_item, error=error, limits=limits
        )
        self.approvals = Approvals()
        self._error = error
        self.source = McpToolSource(self.servers)

    def attach(self, runner: Runner, refresh: Callable[[dict[str, Any]], None]) -> None:
        """Offer the listed tools to every response and run their calls (before the function
        call producer, which takes any call); ``refresh`` stores an item's progress in the
        conversation."""
        runner.tool_sources.append(self.source)
        producer = McpCallProducer(
            approvals=self.approvals,
            limits=self.limits,
            source=self.source,
            error=self._error,
            refresh=refresh,
        )
        runner.producers.insert(0, producer)

    def configure(self, tools: Any) -> None:
        """The session's ``tools`` after an update (or at start): list what needs it."""
        configs = parse_mcp_tools(tools)
        if isinstance(configs, ProtocolError):  # only a minted session can get here unchecked
            self._error(configs)
            return
        self.servers.configure(configs)

    def check_approval(self, item: Any, items: Sequence[Mapping[str, Any]]) -> ProtocolError | None:
        """Refuse an ``mcp_approval_response`` whose request is not in the conversation."""
        if not isinstance(item, Mapping) or item.get("type") != APPROVAL_RESPONSE:
            return None
        request_id = item.get("approval_request_id")
        if isinstance(request_id, str) and self.approvals.waiting(request_id):
            return None  # an out-of-band response's request is in no conversation
        for existing in items:
            if existing.get("type") == "mcp_approval_request" and existing.get("id") == request_id:
                return None
        return unknown_approval_request(str(request_id))

    def approved(self, item: Any) -> None:
        """An ``mcp_approval_response`` was added: wake the call waiting for it, if any."""
        if not isinstance(item, Mapping) or item.get("type") != APPROVAL_RESPONSE:
            return
        reason = item.get("reason")
        decision = Decision(bool(item.get("approve")), reason if isinstance(reason, str) else None)
        self.approvals.answer(str(item.get("approval_request_id")), decision)

    def stop(self) -> list[asyncio.Task[None]]:
        return self.servers.stop()
