"""The user's tools in a GPT-Live session: the approval rules, then the project's tool runner.

Two ways a GPT-Live model reaches them:

* ``delegation.type: responses``: the service's backend calls function tools; the core emits
  ``RunTool`` per call and wants exactly one ``ToolFinished`` back (it does the protocol side).
* ``delegation.type: client`` (the default): the model hands the client a task with **no task
  text** (the core rebuilds the request from the user's words). Decision: the task goes to the
  user's tool named :data:`DELEGATE_TOOL` (a command tool or an MCP tool of that name) with
  ``{"request": ..., "context": [...]}``; its output is the answer the model speaks
  (``session.commentary.append``). With no such tool the task is answered at once with a line
  that says so, since the model otherwise waits for an answer that never comes.

Both go through the same approval rule as Realtime's tool calls: each tool's ``approval``
(``auto`` runs, ``deny`` refuses, ``ask`` asks the prompt the UI or ``--no-ui`` installed; with
no prompt the call is denied and the notice names ``--tool-approval auto``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from voicechat.core.actions import AskApproval, CancelTool, RunTool
from voicechat.core.inputs import ToolFinished
from voicechat.core.live import (
    CancelDelegation,
    DelegationFinished,
    LiveInput,
    RunDelegation,
)
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.tools.runner import NO_PROMPT_NOTICE, ToolRunner

DELEGATE_TOOL = "delegate"
NO_DELEGATE = ("This voice client has no tool for delegated tasks (a tool named 'delegate'); "
               "tell the user you cannot do that here.")
ApprovalPrompt = Callable[[AskApproval], None]


class LiveTools:
    """Approval, then the runner; delegations mapped onto a tool call and back."""

    def __init__(self, feed: Callable[[LiveInput], None], events: EventFanout,
                 clock: Callable[[], float]) -> None:
        self._feed = feed
        self._events = events
        self.runner = ToolRunner(None, self._finished, events.notice, clock)
        self.prompt: ApprovalPrompt | None = None
        self._waiting: dict[str, RunTool] = {}  # asked, not answered
        self._always: set[str] = set()
        self._delegations: dict[str, str] = {}  # tool call id -> delegation id
        self._names: dict[str, tuple[str, str]] = {}  # call id -> (tool name, source)

    # --- the core's actions ----------------------------------------------------------------------

    def run_tool(self, action: RunTool) -> None:
        self._events.local({"type": "local.tool.requested", "call_id": action.call_id,
                            "name": action.name, "bytes": len(json.dumps(action.arguments))})
        approval, source = self._approval(action.name)
        self._names[action.call_id] = (action.name, source or "?")
        if approval == "auto" or action.name in self._always:
            self._approved(action, "policy" if approval == "auto" else "user", "auto")
        elif approval == "deny":
            self._deny(action, "policy")
        elif self.prompt is None:
            self._events.notice("warning", NO_PROMPT_NOTICE.format(name=action.name,
                                                                   source=source))
            self._deny(action, "policy")
        else:
            self._waiting[action.call_id] = action
            self.prompt(AskApproval(action.call_id, action.name,
                                    json.dumps(action.arguments), source))

    def cancel_tool(self, action: CancelTool) -> None:
        self._waiting.pop(action.call_id, None)
        self.runner.cancel(action)

    def run_delegation(self, action: RunDelegation) -> None:
        call_id = f"deleg_{action.delegation_id}"
        self._delegations[call_id] = action.delegation_id
        if self._approval(DELEGATE_TOOL)[1] == "":
            self._events.notice("info", "a delegated task came in and no tool named "
                                        f"{DELEGATE_TOOL!r} is configured: declined")
            self._later(ToolFinished(call_id, NO_DELEGATE, ok=False))
            return
        self.run_tool(RunTool(call_id, DELEGATE_TOOL,
                              {"request": action.request, "context": list(action.context)}))

    def cancel_delegation(self, action: CancelDelegation) -> None:
        self.cancel_tool(CancelTool(f"deleg_{action.delegation_id}", action.reason))

    # --- the user's answer -----------------------------------------------------------------------

    def answer(self, call_id: str, decision: str) -> None:
        action = self._waiting.pop(call_id, None)
        if action is None:
            return
        if decision == "deny":
            self._deny(action, "user")
            return
        if decision == "always":
            self._always.add(action.name)
        self._approved(action, "user", decision)

    async def close(self) -> None:
        await self.runner.close()
        if self.runner.box is not None:
            await self.runner.box.close()

    # --- parts -----------------------------------------------------------------------------------

    def _approval(self, name: str) -> tuple[str, str]:
        """(approval, source) of the tool ``name``; source ``""`` when there is none."""
        box = self.runner.box
        for spec in box.specs() if box is not None else ():
            if spec.name == name:
                return spec.approval, spec.source
        return "auto", ""  # the runner answers "no tool named …" itself

    def _approved(self, action: RunTool, by: str, decision: str) -> None:
        self._events.local({"type": "local.tool.approved", "call_id": action.call_id,
                            "name": action.name, "by": by, "decision": decision})
        self.runner.run(action)

    def _deny(self, action: RunTool, by: str) -> None:
        self._events.local({"type": "local.tool.denied", "call_id": action.call_id,
                            "name": action.name, "by": by})
        self._later(ToolFinished(action.call_id, f"error: the user did not allow {action.name}",
                                 ok=False))

    def _later(self, finished: ToolFinished) -> None:
        """Fed on the next loop turn: the driver is in the middle of carrying out actions."""
        asyncio.get_running_loop().call_soon(self._finished, finished)

    def _finished(self, inp: Any) -> None:
        if not isinstance(inp, ToolFinished):
            return
        name, source = self._names.pop(inp.call_id, (None, "?"))
        self._events.local({"type": "local.tool.finished", "call_id": inp.call_id,
                            "name": name, "source": source,
                            "outcome": "ok" if inp.ok else "error",
                            "duration_ms": int(inp.duration * 1000),
                            "bytes": len(inp.output.encode())})
        delegation = self._delegations.pop(inp.call_id, None)
        if delegation is not None:
            self._feed(DelegationFinished(delegation, inp.output, inp.ok))
        else:
            self._feed(inp)
