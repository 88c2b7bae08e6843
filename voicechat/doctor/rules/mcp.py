"""``mcp-approval-unanswered``: a hosted MCP tool waited for an approval that never came.

GA hosted MCP tools (``{"type": "mcp", …}``) require approval by default (``require_approval``
defaults to ``always``): the server adds an ``mcp_approval_request`` item and runs the call
only after the client adds an ``mcp_approval_response`` with that ``approval_request_id``. A
client that does not handle the item leaves the tool unrun and the user without an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.doctor.rules.tool_items import (
    ITEM_EVENTS,
    USER_TURN,
    created_item,
    items_of,
    out_of_band,
    remember,
    user_message,
)
from voicechat.eventlog.entry import Entry

#: A request still unanswered this long before the log ends was not going to be answered.
APPROVAL_WAIT_S = 10.0


@dataclass(slots=True)
class _Request:
    entry: Entry
    server: str
    tool: str
    moved_on: Entry | None = None


class McpApprovalUnanswered(Rule):
    """An ``mcp_approval_request`` with no ``mcp_approval_response``.

    Like ``tool-call-unanswered``, only judged when the log holds the client's side
    (``Context.client_logged``), and decided at the end: a request counts once the conversation
    went on without the answer (a later response or user turn) or the log ran on
    :data:`APPROVAL_WAIT_S` past it (its own timeline included)."""

    id = "mcp-approval-unanswered"
    title = "A hosted MCP tool call waited for an approval that never came"
    feeds_on = ITEM_EVENTS | USER_TURN | frozenset({"response.done", "response.created",
                                                    "conversation.item.create",
                                                    "session.created"})
    reads: ClassVar[Mapping[str, frozenset[str]]] = dict.fromkeys(USER_TURN, frozenset())

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, _Request] = {}  # by approval request item id
        self.example: _Request | None = None
        self.example_id = ""

    def feed(self, entry: Entry, ctx: Context) -> None:
        # One test of the direction and type first (the helpers of tool_items.py answer the
        # same, but a call each cost more than the rest of this rule on a log with no MCP).
        kind = entry.type
        if entry.dir != "in":
            item = created_item(entry)
            if item is None:
                return
            if item.get("type") == "mcp_approval_response":
                request_id = item.get("approval_request_id")
                if isinstance(request_id, str):
                    self.pending.pop(request_id, None)
            elif user_message(entry):
                self._moved_on(entry)
            return
        if kind in ITEM_EVENTS:
            item = entry.canonical.get("item")
            if isinstance(item, dict) and item.get("type") == "mcp_approval_request":
                self._request(entry, item)
        elif kind == "response.created":
            if not out_of_band(entry):
                self._moved_on(entry)
        elif kind in USER_TURN:
            self._moved_on(entry)
        elif kind == "session.created":
            self._report(ctx)
            self.pending.clear()
        else:
            for item in items_of(entry):
                if item.get("type") == "mcp_approval_request":
                    self._request(entry, item)

    def _moved_on(self, entry: Entry) -> None:
        """The conversation went on (a response or a user turn) past the requests waiting."""
        for request in self.pending.values():
            if request.moved_on is None:
                request.moved_on = entry

    def _request(self, entry: Entry, item: dict[str, Any]) -> None:
        request_id = item.get("id")
        if isinstance(request_id, str) and request_id not in self.pending:
            remember(self.pending, request_id, _Request(
                entry, str(item.get("server_label") or "?"), str(item.get("name") or "?")))

    def conclude(self, ctx: Context) -> None:
        self._report(ctx)
        self.pending.clear()

    def _report(self, ctx: Context) -> None:
        if not ctx.client_logged:
            return
        end_t = ctx.end_t
        for request_id, request in self.pending.items():
            asked = request.entry
            waited = end_t - asked.t if end_t is not None and asked.t is not None else None
            if request.moved_on is None and (waited is None or waited < APPROVAL_WAIT_S):
                continue
            if self.example is None:
                self.example, self.example_id = request, request_id
            what = (f"the conversation went on ({request.moved_on.type} at "
                    f"{request.moved_on.where()})" if request.moved_on is not None
                    else f"the log ran on {waited:.1f} s")
            self.add(asked, f"mcp_approval_request {request_id} for {request.tool} on "
                            f"{request.server} got no mcp_approval_response; {what}")

    def fix(self, ctx: Context) -> str:
        request = self.example
        server = request.server if request is not None else "<server_label>"
        tool = request.tool if request is not None else "<tool>"
        return (
            "Answer each mcp_approval_request item: "
            f'{{"type": "conversation.item.create", "item": {{"type": "mcp_approval_response", '
            f'"approval_request_id": "{self.example_id or "<request id>"}", "approve": true}}}} '
            "(or approve: false with a reason). To run a trusted tool without asking, set "
            f'require_approval on the {server} tool: "never", or {{"never": {{"tool_names": '
            f'["{tool}"]}}}}. After the MCP call completes, send response.create: the model '
            "does not speak on its own after a hosted tool call."
        )
