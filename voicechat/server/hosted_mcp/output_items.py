"""The MCP output items of a response: an approval request and a call, in their output slots.

They fit the response's ``OutputItem`` shape (``index``, ``id``, ``final``, ``obj(status)``,
``closing_events(response_id)``; see ``voicechat/server/output_items.py``) so the response
announces and closes them like any other item (``response.output_item.added`` /
``conversation.item.added`` … ``response.output_item.done`` / ``conversation.item.done``) and
lists them in ``response.done``'s ``output``. MCP items carry no ``status`` (the SDK's models
have none), so ``obj`` ignores it.

The call's own events (argument deltas, ``.mcp_call.in_progress`` / ``.completed`` /
``.failed``) are sent by the producer as the call goes; :meth:`McpCallItem.closing_events`
only makes up what an interrupted call never sent, so a cancelled response still closes
every call it opened with ``.failed`` and an error saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicechat.server.hosted_mcp import items
from voicechat.server.ids import new_id

JSON = dict[str, Any]

#: JSON-RPC's "request cancelled" code (MCP ``notifications/cancelled`` uses it)
REQUEST_CANCELLED = -32800


@dataclass
class McpApprovalRequestItem:
    """``mcp_approval_request``: complete when added (the arguments are known)."""

    index: int
    server_label: str
    name: str
    arguments: str
    id: str = field(default_factory=lambda: new_id("item"))
    final: JSON | None = None

    def obj(self, status: str) -> JSON:
        return items.approval_request_item(self.id, self.server_label, self.name, self.arguments)

    def closing_events(self, response_id: str) -> list[JSON]:
        return []


@dataclass
class McpCallItem:
    """``mcp_call``: arguments streamed, then run; ``output`` or ``error`` once it ends."""

    index: int
    server_label: str
    name: str
    approval_request_id: str | None = None
    id: str = field(default_factory=lambda: new_id("item"))
    arguments: str = ""
    output: str | None = None
    error: JSON | None = None
    arguments_done: bool = False
    running: bool = False
    final: JSON | None = None

    def obj(self, status: str) -> JSON:
        return items.call_item(
            self.id,
            self.server_label,
            self.name,
            self.arguments,
            approval_request_id=self.approval_request_id,
            output=self.output,
            error=self.error,
        )

    def closing_events(self, response_id: str) -> list[JSON]:
        """What an interrupted call never sent: its arguments' end, and ``.failed``."""
        events: list[JSON] = []
        if not self.arguments_done:
            self.arguments_done = True
            events.append(
                items.call_arguments_done(response_id, self.id, self.index, self.arguments)
            )
        if self.output is None and self.error is None:
            self.running = False
            self.error = {
                "type": "protocol_error",
                "code": REQUEST_CANCELLED,
                "message": "The response was cancelled before the MCP call finished.",
            }
            events.append(items.call_event("failed", self.id, self.index))
        return events
