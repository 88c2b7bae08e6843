"""What the core knows about the tools it offers: declarations, approval policy, and the view.

The runtime gathers tools (MCP servers, command tools) and hands the core plain
:class:`ToolSpec` values; the core declares them to the server, decides whether a call needs the
user's approval, and reports each call in :class:`ToolCallView`. Nothing here runs a tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Approval = Literal["ask", "auto", "deny"]
Decision = Literal["once", "always", "deny"]
APPROVALS: tuple[Approval, ...] = ("ask", "auto", "deny")
DEFAULT_TOOL_TIMEOUT_S = 30.0

ToolCallStatus = Literal[
    "streaming",  # the model is still writing the call's arguments
    "awaiting_approval",  # asked the user; nothing runs until they answer
    "running",  # the runtime runs it
    "done",  # ran, output sent
    "failed",  # ran (or could not run): the output says what went wrong
    "denied",  # the user or the policy said no: the output says so
    "timed_out",  # no result within its timeout: the output says so
    "skipped",  # its item or response was not completed: never run, never answered
]


@dataclass(frozen=True)
class ToolSpec:
    """One function tool as the model sees it, with how calls to it are run.

    ``name`` is already valid for the API (``^[a-zA-Z0-9_-]{1,64}$``) and unique; ``source``
    says where it comes from for the user (``mcp:files``, ``command``); ``parameters`` is the
    reduced JSON Schema the API accepts.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}, hash=False
    )
    approval: Approval = "ask"
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S
    source: str = "command"

    def declaration(self) -> dict[str, Any]:
        """The ``{type:"function", …}`` object for ``session.tools``: documented keys only (F9)."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": dict(self.parameters),
        }


@dataclass(frozen=True)
class ToolCallView:
    """One call as the UI shows it: who, what, its state and a short result.

    ``kind`` is ``function`` (the client runs it) or ``mcp`` (a hosted MCP call the server
    runs after the user approved it). ``started_at``/``duration_s`` use the core's clock.
    """

    call_id: str
    name: str
    arguments: str
    status: ToolCallStatus
    kind: Literal["function", "mcp"] = "function"
    source: str = ""
    response_id: str | None = None
    item_id: str | None = None
    started_at: float | None = None
    duration_s: float | None = None
    output: str | None = None
