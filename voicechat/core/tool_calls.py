"""The tool loop: which calls run, when their outputs go back, and the one reply that follows.

Each call is a small state machine (``ToolCallStatus``)::

    streaming ─(item completed)─► awaiting_approval ─once/always─► running ─► done|failed
        │                            │ (policy auto skips it)        │
        │                            └─deny─► denied                 └─(timeout)─► timed_out
        └─(item or response not completed)─► skipped

The rules (docs/architecture.md, "The session rules"; reference realtime-tools.md §3, §8):

* A call runs only when its item is *completed* (``response.output_item.done`` with status
  ``completed``, or a completed ``function_call`` first seen in ``response.done``'s output),
  never from an item or response that ended cancelled, incomplete or failed: the model did not
  finish asking (F6). ``response.function_call_arguments.done`` alone proves nothing (it is also
  sent on cancel).
* One owner per ``call_id`` (F3/F4): a call is learned and run once; a second result (a late
  one after a timeout) is dropped.
* Every call that was run gets exactly one ``function_call_output`` (F7): the result, or words
  saying what went wrong (unknown tool, arguments that are not a JSON object, denied, timed out,
  failed). An unknown tool is answered like any failure and followed by the reply, so the model
  can recover [decision: the agents SDK sends no reply for it; we prefer one voice path].
* The calls of one response run concurrently; exactly one ``response.create`` follows, once the
  calling response's ``response.done`` has arrived *and* all its outputs are sent (F1/F2). It
  goes through :class:`~voicechat.core.response_flow.ResponseFlow`, which queues it while
  another response is active.
* After a barge-in, the cancel key, a response that ended other than ``completed``, or a new
  response the user's turn started (VAD or typed text) while calls ran, the outputs are still
  sent (the conversation stays consistent) but no ``response.create``: the user's turn leads.
* Hosted MCP (GA): an ``mcp_approval_request`` item is a call of kind ``mcp`` answered by an
  ``mcp_approval_response`` item; after a response whose last output is an ``mcp_call`` the
  model does not go on by itself, so one ``response.create`` follows (F8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from voicechat.core.actions import AskApproval, CancelTool, RunTool, ToolRecord
from voicechat.core.effects import Effects
from voicechat.core.response_flow import ResponseFlow
from voicechat.core.tool_replies import ToolReplies
from voicechat.core.tool_specs import (
    Approval,
    ToolCallStatus,
    ToolCallView,
    ToolSpec,
)

MAX_OUTPUT_CHARS = 16_000
"""A tool output longer than this is cut, with a note saying so: the Realtime context is
32k-128k tokens with ``truncation: auto``, so a huge result would push the conversation out."""
MAX_CALLS_KEPT = 200
FINAL: frozenset[ToolCallStatus] = frozenset({"done", "failed", "denied", "timed_out", "skipped"})
Event = Mapping[str, Any]


@dataclass
class _Call:
    call_id: str
    name: str
    kind: Literal["function", "mcp"]
    response_id: str | None
    item_id: str | None
    source: str = ""
    arguments: str = ""
    status: ToolCallStatus = "streaming"
    started_at: float | None = None
    deadline: float | None = None
    timeout_s: float = 0.0
    duration_s: float | None = None
    output: str | None = None

    def view(self) -> ToolCallView:
        return ToolCallView(self.call_id, self.name, self.arguments, self.status, self.kind,
                            self.source, self.response_id, self.item_id, self.started_at,
                            self.duration_s, self.output)


class ToolCalls:
    """Learns calls from server events, asks for approval, runs, answers, and replies once."""

    def __init__(self, effects: Effects, responses: ResponseFlow,
                 tools: Sequence[ToolSpec] = (), mcp_approval: Approval = "ask", *,
                 answers: bool = True) -> None:
        """``answers=False``: the server is the agent and runs its own tools; a call is
        recorded (requested, then skipped) and never run or answered."""
        self._out = effects
        self._answers_calls = answers
        self._responses = responses
        self._tools: dict[str, ToolSpec] = {}
        self._always: set[str] = set()  # "always for this tool in this session"
        self._mcp_approval = mcp_approval
        self._calls: dict[str, _Call] = {}
        self._replies = ToolReplies(responses, self._pending, self._answered)
        self._answers = 0
        self.set_tools(tools)

    # --- configuration -----------------------------------------------------------------------

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        return tuple(self._tools.values())

    def set_tools(self, tools: Sequence[ToolSpec]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    # --- reading -----------------------------------------------------------------------------

    @property
    def views(self) -> tuple[ToolCallView, ...]:
        return tuple(call.view() for call in self._calls.values())

    @property
    def running(self) -> tuple[ToolCallView, ...]:
        return tuple(c.view() for c in self._calls.values() if c.status == "running")

    def next_deadline(self) -> float | None:
        deadlines = [c.deadline for c in self._calls.values()
                     if c.status == "running" and c.deadline is not None]
        return min(deadlines) if deadlines else None

    # --- server events -----------------------------------------------------------------------

    def output_item(self, event: Event, now: float) -> None:
        """``response.output_item.added`` learns a call; ``.done`` runs it when completed."""
        item = event.get("item")
        if not isinstance(item, Mapping):
            return
        kind = item.get("type")
        rid = _str(event.get("response_id"))
        if kind == "function_call":
            call = self._learn(item, rid)
            if call is not None and event.get("type") == "response.output_item.done":
                self._item_done(call, item, now)
        elif kind == "mcp_approval_request" and event.get("type") == "response.output_item.done":
            self._mcp_request(item, rid, now)

    def response_created(self, event: Event) -> None:
        """A new response: ours (the reply) or the user's turn, which then leads."""
        self._replies.created()

    def response_done(self, response: Event, now: float) -> None:
        """The calling response ended: completed calls only in its output run now; reply?"""
        rid = _str(response.get("id"))
        status = response.get("status")
        completed = status in (None, "completed")
        output = response.get("output")
        items = [i for i in output if isinstance(i, Mapping)] if isinstance(output, list) else []
        turn = self._replies.turn(rid) if rid is not None else None
        if turn is not None and turn.done:
            return  # a repeat
        for item in items:
            if item.get("type") != "function_call":
                continue
            call = self._learn(item, rid)
            if call is not None and call.status == "streaming":
                if completed and item.get("status") in (None, "completed"):
                    self._item_done(call, item, now)
                else:
                    self._skip(call, f"its response ended {status}")
        if turn is None:
            return
        self._replies.ended(turn, completed)
        if completed and not turn.calls and items and items[-1].get("type") == "mcp_call":
            self._replies.reply(turn)  # F8: after a hosted MCP call the model waits to be asked
        self._replies.maybe_reply(rid)

    def interrupted(self) -> None:
        """Barge-in or the cancel key: outputs still go back, but the user's turn leads."""
        self._replies.interrupted()

    # --- inputs ------------------------------------------------------------------------------

    def finished(self, call_id: str, output: str, ok: bool, duration: float, now: float) -> None:
        call = self._calls.get(call_id)
        if call is None or call.status != "running":
            state = "unknown" if call is None else call.status
            self._out.notice("info", f"ignored a late result for tool call {call_id[:40]} "
                                     f"({state})")
            return
        text = output if isinstance(output, str) else str(output)
        self._answer(call, text, "done" if ok else "failed", now, duration=duration)

    def approval(self, call_id: str, decision: str, now: float) -> None:
        call = self._calls.get(call_id)
        if call is None or call.status != "awaiting_approval":
            self._out.notice("info", f"ignored an approval for tool call {call_id[:40]}: "
                                     "it is not waiting for one")
            return
        if decision not in ("once", "always", "deny"):
            self._out.notice("warning", f"approval must be once, always or deny, not "
                                        f"{decision[:20]!r}: treated as deny")
            decision = "deny"
        if decision == "deny":
            self._record("local.tool.denied", call, by="user")
            self._deny(call, "the user denied it", now)
            return
        if decision == "always":
            self._always.add(call.name if call.kind == "function"
                             else f"{call.source}/{call.name}")
        self._record("local.tool.approved", call, by="user", decision=decision)
        self._approved(call, now)

    def on_timer(self, now: float) -> None:
        for call in list(self._calls.values()):
            if call.status == "running" and call.deadline is not None and call.deadline <= now:
                self._out.act(CancelTool(call.call_id, "timeout"))
                self._out.notice("warning", f"tool {call.name} ({call.source}) did not finish "
                                            f"within {call.timeout_s:g} s and was stopped; the "
                                            "model is told. Raise its timeout in the config if "
                                            "it needs longer")
                self._answer(call, f"error: the tool {call.name} did not finish within "
                                   f"{call.timeout_s:g} s, so it was stopped",
                             "timed_out", now, duration=call.timeout_s)

    # --- the steps ---------------------------------------------------------------------------

    def _learn(self, item: Mapping[str, Any], rid: str | None) -> _Call | None:
        call_id = _str(item.get("call_id"))
        if call_id is None or not call_id:
            self._out.notice_once("warning", "skipped a function_call item without a call_id")
            return None
        call = self._calls.get(call_id)
        if call is None:
            name = _str(item.get("name")) or ""
            spec = self._tools.get(name)
            call = _Call(call_id, name, "function", rid, _str(item.get("id")),
                         source=spec.source if spec is not None else "")
            self._calls[call_id] = call
            self._replies.turn(rid).calls.append(call_id)
            self._forget_old()
        return call

    def _item_done(self, call: _Call, item: Mapping[str, Any], now: float) -> None:
        if call.status != "streaming":
            return  # one owner: seen done already
        if item.get("status") not in (None, "completed"):
            self._skip(call, f"its item ended {item.get('status')}")
            return
        turn = self._replies.get(call.response_id)
        if turn is not None and turn.done and not turn.completed:
            self._skip(call, "its response did not complete")
            return
        name = _str(item.get("name"))
        if name:
            call.name = name
        call.arguments = _str(item.get("arguments")) or ""
        self._record("local.tool.requested", call, bytes=len(call.arguments.encode()))
        if not self._answers_calls:
            self._skip(call, "the agent's server runs its own tools")
            return
        spec = self._tools.get(call.name)
        if spec is None:
            known = ", ".join(sorted(self._tools)) or "none"
            self._answer(call, f"error: there is no tool named {call.name!r} "
                               f"(available: {known})", "failed", now)
            return
        call.source = spec.source
        if _arguments(call.arguments) is None:
            self._answer(call, f"error: the arguments for {call.name} are not a JSON object: "
                               f"{call.arguments[:200]!r}", "failed", now)
            return
        policy = "auto" if call.name in self._always else spec.approval
        self._decide(call, policy, now)

    def _mcp_request(self, item: Mapping[str, Any], rid: str | None, now: float) -> None:
        request_id = _str(item.get("id"))
        if not request_id or request_id in self._calls:
            return
        label = _str(item.get("server_label")) or "?"
        call = _Call(request_id, _str(item.get("name")) or "?", "mcp", rid, request_id,
                     source=f"mcp:{label}", arguments=_str(item.get("arguments")) or "")
        self._calls[request_id] = call
        self._replies.turn(rid).calls.append(request_id)
        self._forget_old()
        self._record("local.tool.requested", call, bytes=len(call.arguments.encode()))
        key = f"{call.source}/{call.name}"
        self._decide(call, "auto" if key in self._always else self._mcp_approval, now)

    def _decide(self, call: _Call, policy: Approval, now: float) -> None:
        if policy == "auto":
            self._record("local.tool.approved", call, by="policy", decision="auto")
            self._approved(call, now)
        elif policy == "deny":
            self._record("local.tool.denied", call, by="policy")
            self._deny(call, "the tool_approval policy is deny", now)
        else:
            call.status = "awaiting_approval"
            self._out.act(AskApproval(call.call_id, call.name, call.arguments, call.source,
                                      call.kind))

    def _approved(self, call: _Call, now: float) -> None:
        if call.kind == "mcp":
            self._mcp_answer(call, approve=True, now=now)
            return
        spec = self._tools.get(call.name)
        args = _arguments(call.arguments)
        if spec is None or args is None:  # the tools changed while it waited for the user
            self._answer(call, f"error: the tool {call.name!r} is no longer available",
                         "failed", now)
            return
        call.status, call.started_at = "running", now
        call.timeout_s = spec.timeout_s
        call.deadline = now + spec.timeout_s
        self._out.act(RunTool(call.call_id, call.name, args))

    def _deny(self, call: _Call, why: str, now: float) -> None:
        if call.kind == "mcp":
            self._mcp_answer(call, approve=False, now=now)
            return
        self._answer(call, f"denied: the user did not allow {call.name} to run ({why})",
                     "denied", now)

    def _mcp_answer(self, call: _Call, *, approve: bool, now: float) -> None:
        # the GA schema requires a client-chosen item id; ours are short and never reused
        self._answers += 1
        item: dict[str, Any] = {"type": "mcp_approval_response", "id": f"vc_mcpa_{self._answers}",
                                "approval_request_id": call.call_id, "approve": approve}
        if not approve:
            item["reason"] = "the user denied it"
        self._out.send({"type": "conversation.item.create", "item": item})
        call.status = "done" if approve else "denied"
        call.output = "approved" if approve else "denied"
        self._replies.maybe_reply(call.response_id)

    def _answer(self, call: _Call, output: str, status: ToolCallStatus, now: float,
                *, duration: float | None = None) -> None:
        """The one ``function_call_output`` of ``call``, capped; then maybe the reply."""
        if call.status in FINAL:
            return
        text = cap_output(output)
        if len(text) < len(output):
            self._out.notice("info", f"tool {call.name} returned {len(output)} characters; the "
                                     f"model gets the first {MAX_OUTPUT_CHARS}")
        self._out.send({"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": call.call_id, "output": text}})
        call.status, call.output, call.deadline = status, text, None
        if duration is None and call.started_at is not None:
            duration = max(0.0, now - call.started_at)
        call.duration_s = duration
        outcome = {"done": "ok", "failed": "error", "denied": "denied",
                   "timed_out": "timeout"}.get(status, status)
        self._record("local.tool.finished", call, outcome=outcome,
                     duration_ms=round((duration or 0.0) * 1000),
                     bytes=len(text.encode()), truncated=len(text) < len(output))
        self._replies.maybe_reply(call.response_id)

    def _skip(self, call: _Call, why: str) -> None:
        call.status, call.output = "skipped", f"not run: {why}"
        self._record("local.tool.skipped", call, reason=why)

    def _pending(self, call_id: str) -> bool:
        call = self._calls.get(call_id)
        return call is not None and call.status not in FINAL

    def _answered(self, call_id: str) -> bool:
        call = self._calls.get(call_id)
        return call is not None and call.status in FINAL and call.status != "skipped"

    def _forget_old(self) -> None:
        """Bounded memory: the oldest finished calls go first."""
        while len(self._calls) > MAX_CALLS_KEPT:
            oldest = next((c for c in self._calls.values() if c.status in FINAL), None)
            if oldest is None:
                return
            del self._calls[oldest.call_id]

    def _record(self, kind: str, call: _Call, **fields: Any) -> None:
        event: dict[str, Any] = {"type": kind, "call_id": call.call_id, "name": call.name}
        if call.source:
            event["source"] = call.source
        event.update(fields)
        self._out.act(ToolRecord(event))


def cap_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    note = f"\n[output truncated: {len(text) - limit} of {len(text)} characters left out]"
    return text[:limit] + note


def _arguments(raw: str) -> dict[str, Any] | None:
    """The arguments as a JSON object (empty text counts as ``{}``), or ``None``."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
