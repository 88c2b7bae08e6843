"""Calls waiting for the client's ``mcp_approval_response``.

How a response ends while it waits is not documented [unverified], so this is a decision, made
for what the official clients rely on:

* The Agents SDK (JS) answers an ``mcp_approval_request`` with ``conversation.item.create`` of
  an ``mcp_approval_response`` and sends **nothing else**; it sends ``response.create`` only
  once the ``mcp_call`` item reaches ``conversation.item.done``
  (``realtimeSession.ts``, ``openaiRealtimeBase.ts`` ``sendMcpResponse``).
* openai-ruby's Realtime MCP approval example (``examples/realtime/mcp_approval.rb``, a smoke
  test against the real service) likewise sends only the approval, then expects
  ``response.mcp_call_arguments.done`` for the call **before** the ``response.done`` of that
  response (a ``response.done`` first is its "Realtime response completed before the MCP tool
  call" failure), and the finished ``mcp_call`` to carry the ``approval_request_id``.

So the response that asks stays in progress: the ``mcp_approval_request`` item is added and
done, the response waits (at most ``McpLimits.approval_timeout_s``), and on approval the
``mcp_call`` item follows in the **same** response, which then ends with ``response.done``.
A client that waited for a ``response.done`` before approving would wait forever, so the
wait is bounded: on timeout the response ends without the call and an ``error`` says so. A
rejection ends the response without the call. Cancelling the response (``response.cancel``,
a barge-in) ends the wait too; a late approval is then kept in the conversation and changes
nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The client's answer to one approval request."""

    approve: bool
    reason: str | None = None


class Approvals:
    """Approval requests waiting for an answer, by the request item's id."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Decision]] = {}

    def waiting(self, request_id: str) -> bool:
        return request_id in self._waiting

    async def wait(self, request_id: str, timeout_s: float) -> Decision | None:
        """The client's decision on ``request_id``, or ``None`` after ``timeout_s``."""
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(request_id, None)

    def answer(self, request_id: str, decision: Decision) -> bool:
        """Deliver a decision; ``False`` when nothing waits for it (late, or cancelled)."""
        future = self._waiting.pop(request_id, None)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True
