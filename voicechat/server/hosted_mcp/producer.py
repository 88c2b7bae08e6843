"""A responder's call to an MCP tool, run by the server: approval, the call, the ``mcp_call`` item.

The response runner hands every call to the first producer that takes it
(:mod:`voicechat.server.item_producers`); this one comes first and takes the calls that
resolve to a listed MCP tool (:meth:`McpToolSource.resolve`). In the calling response it emits:

    [approval required]
    response.output_item.added / conversation.item.added   mcp_approval_request
    response.output_item.done  / conversation.item.done    mcp_approval_request
    … waits for the client's mcp_approval_response (see approvals.py for why in this response) …
    [approved, or no approval required]
    response.output_item.added / conversation.item.added   mcp_call (arguments "")
    response.mcp_call_arguments.delta × n, response.mcp_call_arguments.done
    response.mcp_call.in_progress
    … the MCP client calls the tool (bounded by McpLimits.call_timeout_s) …
    response.mcp_call.completed | response.mcp_call.failed
    response.output_item.done  / conversation.item.done    mcp_call with output | error

and the response ends there (``response.done`` with those items in ``output``): the model does
not speak about the result by itself — the client sends ``response.create`` once the
``mcp_call`` item is done, as the Agents SDK does and as the real service needs (F8,
SwiftOpenAI#192). The script responder's ``@call`` ends its reply, which keeps that true.

A rejection ends the response without the call; no answer within
``McpLimits.approval_timeout_s`` ends it with an ``error`` event as well. Arguments that are
not a JSON object never reach the server: the call fails with a ``protocol_error`` (-32602,
invalid params), as a real MCP server would answer them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from voicechat.protocol.errors import ProtocolError
from voicechat.server.hosted_mcp import items
from voicechat.server.hosted_mcp.approvals import Approvals
from voicechat.server.hosted_mcp.client import CallResult, McpFailure, call_tool
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.listing import OfferedTool
from voicechat.server.hosted_mcp.offer import McpToolSource
from voicechat.server.hosted_mcp.output_items import McpApprovalRequestItem, McpCallItem
from voicechat.server.ids import obfuscation
from voicechat.server.item_producers import FunctionCallProducer, ProduceContext, argument_chunks
from voicechat.server.voice.tools import ToolCall

#: JSON-RPC "invalid params"
INVALID_PARAMS = -32602

Caller = Callable[..., Any]


def approval_timed_out(request: McpApprovalRequestItem, timeout_s: float) -> ProtocolError:
    return ProtocolError(
        "mcp_approval_timeout",
        f"No mcp_approval_response arrived within {timeout_s:g} s for approval request "
        f"'{request.id}' (tool '{request.name}' of MCP server '{request.server_label}'), so "
        "the call did not run. Answer an mcp_approval_request with conversation.item.create "
        'of {"type": "mcp_approval_response", "approval_request_id": …, "approve": true|false} '
        "while its response is still in progress.",
        None,
    )


def parse_arguments(arguments: str) -> dict[str, Any] | str:
    """A call's arguments as the JSON object MCP takes, or why they are not one. Empty
    arguments are ``{}`` (a tool without parameters)."""
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError as exc:
        return f"invalid JSON ({exc})"
    if not isinstance(parsed, dict):
        return f"a JSON {type(parsed).__name__}, not an object"
    return parsed


class McpCallProducer:
    """Makes the MCP items of a call to a listed MCP tool (see the module docstring)."""

    def __init__(
        self,
        *,
        approvals: Approvals,
        limits: McpLimits,
        source: McpToolSource,
        error: Callable[[ProtocolError], None],
        refresh: Callable[[dict[str, Any]], None] = lambda item: None,
        caller: Caller = call_tool,
    ) -> None:
        self._refresh = refresh
        self._approvals = approvals
        self._limits = limits
        self._source = source
        self._error = error
        self._call = caller

    def handles(self, call: ToolCall, ctx: ProduceContext) -> bool:
        offer = ctx.run.offer
        found = self._source.resolve(offer, call.name) is not None
        return found or self._source.may_be_listing(offer, call.name)

    async def produce(self, call: ToolCall, ctx: ProduceContext) -> None:
        offered = self._source.resolve(ctx.run.offer, call.name)
        if offered is None:
            # Decision: a call made while a listing is still in flight (a response created
            # right after session.update) waits for it, bounded by the listing's timeout, as
            # the real model cannot call a tool before its server is listed; a name no
            # server lists is then the client's function call, as it would have been.
            await self._source.settled()
            offered = self._source.resolve(ctx.run.offer, call.name)
            if offered is None:
                await FunctionCallProducer().produce(call, ctx)
                return
        approval_id: str | None = None
        if offered.approval_required:
            approval_id = await self._ask(offered, call, ctx)
            if approval_id is None:
                return
        await self._run_call(offered, call, ctx, approval_id)

    async def _ask(self, offered: OfferedTool, call: ToolCall, ctx: ProduceContext) -> str | None:
        """The approval request; its id when approved, ``None`` when not (or no answer)."""
        run, events = ctx.run, ctx.events
        request = McpApprovalRequestItem(
            index=len(run.items),
            server_label=offered.server.server_label,
            name=offered.tool.name,
            arguments=call.arguments,
        )
        events.open_item(run, request)
        events.close_item(run, request, "completed")
        timeout_s = self._limits.approval_timeout_s
        decision = await self._approvals.wait(request.id, timeout_s)
        if decision is None:
            self._error(approval_timed_out(request, timeout_s))
            return None
        return request.id if decision.approve else None

    async def _run_call(
        self, offered: OfferedTool, call: ToolCall, ctx: ProduceContext, approval_id: str | None
    ) -> None:
        run, events = ctx.run, ctx.events
        item = McpCallItem(
            index=len(run.items),
            server_label=offered.server.server_label,
            name=offered.tool.name,
            approval_request_id=approval_id,
        )
        events.open_item(run, item)
        for chunk in argument_chunks(call.arguments):
            item.arguments += chunk
            run.text += chunk
            events.emit(
                items.call_arguments_delta(run.id, item.id, item.index, chunk, obfuscation(chunk))
            )
            await ctx.pace()
        item.arguments_done = True
        events.emit(items.call_arguments_done(run.id, item.id, item.index, item.arguments))
        if run.in_conversation:  # a retrieve now shows the arguments (AGJ does one here)
            self._refresh(item.obj("in_progress"))
        events.emit(items.call_event("in_progress", item.id, item.index))
        item.running = True
        result = await self._result(offered, item.arguments)
        item.running = False
        if result.error is not None:
            item.error = result.error.item_error()
            events.emit(items.call_event("failed", item.id, item.index))
        else:
            item.output = result.output
            events.emit(items.call_event("completed", item.id, item.index))
        events.close_item(run, item, "completed")

    async def _result(self, offered: OfferedTool, arguments: str) -> CallResult:
        parsed = parse_arguments(arguments)
        if isinstance(parsed, str):
            failure = McpFailure(
                "protocol_error",
                f"The arguments of '{offered.tool.name}' are not a JSON object, so MCP server "
                f"{offered.server.where} was not called: {parsed}",
                INVALID_PARAMS,
            )
            return CallResult(error=failure)
        result: CallResult = await self._call(
            offered.server, offered.tool.name, parsed, self._limits
        )
        return result
