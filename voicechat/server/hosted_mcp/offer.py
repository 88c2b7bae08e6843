"""The listed MCP tools as functions a responder may call, and a call's way back to its server.

Each response's offer (:func:`voicechat.server.tools.tool_offer`) gets the tools the session's
MCP servers listed and allowed, as :class:`FunctionTool` values with ``origin``
``"mcp:<server_label>"``, after the function tools. A responder sees one flat list of functions
(a chat endpoint gets them as chat-completions tools), so names must be unique and fit the
function-name alphabet (``^[A-Za-z0-9_-]{1,64}$``; MCP allows dots and 128 characters). An MCP
tool keeps its own name when it fits and no other offered tool has it; otherwise it is offered
as ``<label>__<name>`` with other characters as ``_``, cut to 64 with a hash to stay unique
(the Agents SDK's scheme). The ``mcp_call`` item always carries the tool's real name and label.

Decisions where the reference is silent:

* ``response.create`` with its own ``tools`` replaces the session's: only the MCP servers it
  names (by ``server_label``, among the session's listed ones) are offered then. A server named
  only in ``response.create`` is not listed (listing follows ``session.update``).
* ``tool_choice: {"type": "mcp", "server_label", "name"}`` forces that tool: it becomes the
  forced function of the offer, so responders honour it the same way.
* The input schema gets ``"properties": {}`` when it has none (chat endpoints reject an object
  schema without it; MCP does not require it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from voicechat.server.hosted_mcp.listing import McpServers, OfferedTool
from voicechat.server.voice.tools import FunctionTool, ToolOffer

ORIGIN_PREFIX = "mcp:"
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def origin_of(server_label: str) -> str:
    return ORIGIN_PREFIX + server_label


def label_of(tool: FunctionTool) -> str | None:
    """The MCP server label of an offered tool (``None``: not an MCP tool)."""
    return tool.origin[len(ORIGIN_PREFIX) :] if tool.origin.startswith(ORIGIN_PREFIX) else None


def offered_name(label: str, name: str, taken: set[str]) -> str:
    """The function name an MCP tool is offered under (see the module docstring)."""
    if _FUNCTION_NAME.match(name) and name not in taken:
        return name
    base = _NOT_ALLOWED.sub("_", f"{label}__{name}")
    if len(base) > 64 or base in taken:
        digest = hashlib.sha1(f"{label}\0{name}".encode()).hexdigest()[:8]
        base = f"{base[:55]}_{digest}"
    return base


def parameters_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    if out.get("type", "object") == "object" and "properties" not in out:
        out["properties"] = {}
    return out


class McpToolSource:
    """The ``ResponseRunner.tool_sources`` entry of a session's MCP servers."""

    def __init__(self, servers: McpServers) -> None:
        self._servers = servers
        #: (label, offered function name) → the offered tool, for the calls that come back
        self._by_name: dict[tuple[str, str], OfferedTool] = {}

    def __call__(self, offer: ToolOffer, params: Mapping[str, Any]) -> ToolOffer:
        labels = _labels_in(params)
        taken = {tool.name for tool in offer.tools}
        added: list[FunctionTool] = []
        forced: str | None = None
        choice = offer.choice
        for listed in self._servers.offered():
            label = listed.server.server_label
            if labels is not None and label not in labels:
                continue
            name = offered_name(label, listed.tool.name, taken)
            taken.add(name)
            self._by_name[(label, name)] = listed
            added.append(
                FunctionTool(
                    name=name,
                    description=listed.tool.description or "",
                    parameters=parameters_of(listed.tool.input_schema),
                    origin=origin_of(label),
                )
            )
            if forced is None and _forces(choice, label, listed.tool.name):
                forced = name
        if forced is not None:
            choice = {"type": "function", "name": forced}
        return ToolOffer(offer.tools + tuple(added), choice)

    def resolve(self, offer: ToolOffer, name: str) -> OfferedTool | None:
        """The MCP tool a call to ``name`` means: the offered one of that name; or, for a call
        to a name the offer lacks (a listing finished after the response began; a script
        calls by the tool's own name), the first listed tool of that name. A function tool of
        that name wins: the call is then the client's."""
        tool = offer.named(name)
        if tool is not None:
            label = label_of(tool)
            return None if label is None else self._by_name.get((label, name))
        return self._servers.find(name)

    def may_be_listing(self, offer: ToolOffer, name: str) -> bool:
        """Could a call to ``name`` be meant for a tool still being listed? (No function tool
        of that name is offered and a listing is in flight.)"""
        return offer.named(name) is None and self._servers.listing

    async def settled(self) -> None:
        await self._servers.settled()


def _labels_in(params: Mapping[str, Any]) -> set[str] | None:
    """The MCP labels a ``response.create`` names in its own ``tools`` (``None``: it has no
    ``tools`` of its own, so every session server is offered)."""
    tools = params.get("tools")
    if not isinstance(tools, list):
        return None
    return {
        str(tool.get("server_label"))
        for tool in tools
        if isinstance(tool, Mapping) and tool.get("type") == "mcp"
    }


def _forces(choice: Any, label: str, name: str) -> bool:
    return (
        isinstance(choice, Mapping)
        and choice.get("type") == "mcp"
        and choice.get("server_label") == label
        and choice.get("name") in (name, None)
    )
