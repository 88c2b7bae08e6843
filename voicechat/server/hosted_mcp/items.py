"""The MCP items and events of the GA protocol, as pure builders (no ids drawn, no I/O).

Shapes follow the GA spec and the ``openai`` SDK's models (``RealtimeMcpListTools``,
``RealtimeMcpApprovalRequest``, ``RealtimeMcpToolCall``, ``McpListTools*``,
``ResponseMcpCall*``); ``tests/server/hosted_mcp/test_items.py`` validates every builder's
output against those models with no undeclared key. Decisions where no real recording was
available:

* MCP items carry no ``object``/``status`` keys (the SDK models declare none, unlike messages
  and function calls).
* A listed tool's ``annotations`` is ``{"read_only": <readOnlyHint>}``, as the Responses API
  shows MCP listings, or ``null`` when the server gave no annotations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from voicechat.server.hosted_mcp.client import ListedTool

JSON = dict[str, Any]
ListingStage = Literal["in_progress", "completed", "failed"]
CallStage = Literal["in_progress", "completed", "failed"]


def listed_tool_entry(tool: ListedTool) -> JSON:
    """One entry of an ``mcp_list_tools`` item's ``tools``."""
    annotations = None if tool.annotations is None else {"read_only": tool.read_only}
    return {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "annotations": annotations,
    }


def list_tools_item(item_id: str, server_label: str, tools: Iterable[ListedTool] = ()) -> JSON:
    """An ``mcp_list_tools`` item (empty ``tools`` while the listing runs or after it failed)."""
    return {
        "id": item_id,
        "type": "mcp_list_tools",
        "server_label": server_label,
        "tools": [listed_tool_entry(tool) for tool in tools],
    }


def list_tools_event(stage: ListingStage, item_id: str) -> JSON:
    """``mcp_list_tools.in_progress`` / ``.completed`` / ``.failed`` (no response: listing
    follows ``session.update``)."""
    return {"type": f"mcp_list_tools.{stage}", "item_id": item_id}


def approval_request_item(item_id: str, server_label: str, name: str, arguments: str) -> JSON:
    return {
        "id": item_id,
        "type": "mcp_approval_request",
        "server_label": server_label,
        "name": name,
        "arguments": arguments,
    }


def call_item(
    item_id: str,
    server_label: str,
    name: str,
    arguments: str,
    *,
    approval_request_id: str | None = None,
    output: str | None = None,
    error: JSON | None = None,
) -> JSON:
    """An ``mcp_call`` item: ``output`` and ``error`` stay ``null`` until the call ends."""
    return {
        "id": item_id,
        "type": "mcp_call",
        "server_label": server_label,
        "name": name,
        "arguments": arguments,
        "approval_request_id": approval_request_id,
        "output": output,
        "error": error,
    }


def call_arguments_delta(
    response_id: str, item_id: str, output_index: int, delta: str, obfuscation: str
) -> JSON:
    return {
        "type": "response.mcp_call_arguments.delta",
        "response_id": response_id,
        "item_id": item_id,
        "output_index": output_index,
        "delta": delta,
        "obfuscation": obfuscation,
    }


def call_arguments_done(response_id: str, item_id: str, output_index: int, arguments: str) -> JSON:
    return {
        "type": "response.mcp_call_arguments.done",
        "response_id": response_id,
        "item_id": item_id,
        "output_index": output_index,
        "arguments": arguments,
    }


def call_event(stage: CallStage, item_id: str, output_index: int) -> JSON:
    """``response.mcp_call.in_progress`` / ``.completed`` / ``.failed``: the result itself is in
    the ``mcp_call`` item that ``response.output_item.done`` carries."""
    return {"type": f"response.mcp_call.{stage}", "item_id": item_id, "output_index": output_index}
