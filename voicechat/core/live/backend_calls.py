"""Function calls a Responses delegation makes of the client's tools, and their one reply.

With ``delegation.type: responses`` the service's backend model calls the function tools listed
in ``delegation.responses.tools``; the calls reach us nested in ``response.event``. The rules
(D-deleg, with APL's and LiveKit's findings):

* a call is read only from a nested ``response.output_item.done`` whose item is a
  ``function_call`` (``call_id``, ``name``, ``arguments``); ``response.completed``'s ``output``
  is always ``[]`` and arguments-done lacks the name, so neither is used;
* every call gets exactly one ``response.item.create`` with a ``function_call_output`` (a
  result, an error, or a timeout after ``tool_timeout_ms``);
* once the calling response has completed and *all* its outputs are sent, exactly one
  ``response.create`` follows (a partial batch is refused with
  ``function_call_outputs_required``); a response that failed gets its outputs but no create.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.core.actions import CancelTool, RunTool
from voicechat.core.live.delegations import Delegations
from voicechat.core.live.effects import LiveEffects

MAX_OUTPUT_CHARS = 16_000
MAX_TRACKED = 500
_FAILED = {"response.failed": "failed", "response.incomplete": "incomplete",
           "response.cancelled": "cancelled"}


@dataclass
class _Call:
    response_key: str
    delegation_id: str | None
    name: str
    deadline: float | None
    answered: bool = False


@dataclass
class _Response:
    delegation_id: str | None
    calls: set[str] = field(default_factory=set)
    status: str | None = None
    continued: bool = False


class BackendCalls:
    def __init__(self, effects: LiveEffects, delegations: Delegations,
                 tool_timeout_s: float) -> None:
        self._out = effects
        self._tasks = delegations
        self._timeout_s = tool_timeout_s
        self.calls: dict[str, _Call] = {}
        self._responses: dict[str, _Response] = {}
        self.continues_sent = 0

    def nested(self, delegation_id: str | None, event: Mapping[str, Any], now: float) -> None:
        kind = event.get("type")
        response = event.get("response")
        response_id = response.get("id") if isinstance(response, Mapping) else None
        if not isinstance(response_id, str):
            response_id = event.get("response_id") if isinstance(
                event.get("response_id"), str) else None
        key = response_id or f"?{delegation_id}"
        if kind in ("response.created", "response.in_progress"):
            self._response(key, delegation_id)
            self._tasks.backend_state(delegation_id, "running", str(kind))
        elif kind == "response.output_item.done":
            item = event.get("item")
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                self._call(item, key, delegation_id, now)
        elif kind == "response.output_text.done" and isinstance(event.get("text"), str):
            self._tasks.backend_state(delegation_id, "running", event["text"])
        elif kind == "response.completed":
            state = self._response(key, delegation_id)
            state.status = "completed"
            if not state.calls:
                self._tasks.backend_state(delegation_id, "completed", "completed")
            self._maybe_continue(key)
        elif kind in _FAILED:
            state = self._response(key, delegation_id)
            state.status = _FAILED[str(kind)]
            self._tasks.backend_state(delegation_id, "failed", state.status)

    def _response(self, key: str, delegation_id: str | None) -> _Response:
        state = self._responses.get(key)
        if state is None:
            if len(self._responses) >= MAX_TRACKED:
                self._responses.pop(next(iter(self._responses)))
            state = self._responses[key] = _Response(delegation_id)
        return state

    def _call(self, item: Mapping[str, Any], key: str,
              delegation_id: str | None, now: float) -> None:
        call_id, name, raw = item.get("call_id"), item.get("name"), item.get("arguments")
        if not isinstance(call_id, str) or not isinstance(name, str):
            self._out.malformed("function_call", "no call_id or name")
            return
        if call_id in self.calls:
            return  # one owner per call_id: a repeated done runs nothing twice
        if len(self.calls) >= MAX_TRACKED:
            self.calls.pop(next(iter(self.calls)))
        self.calls[call_id] = _Call(key, delegation_id, name, now + self._timeout_s)
        self._response(key, delegation_id).calls.add(call_id)
        self._tasks.backend_state(delegation_id, "running", f"calls {name[:60]}")
        arguments = _arguments(raw)
        if arguments is None:
            self.answer(call_id, f"error: the arguments of {name} are not a JSON object")
        else:
            self._out.act(RunTool(call_id, name, arguments))

    def answer(self, call_id: str, output: str) -> bool:
        """Send ``call_id``'s one output; whether it was ours and still owed."""
        call = self.calls.get(call_id)
        if call is None or call.answered:
            return False
        call.answered = True
        call.deadline = None
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[:MAX_OUTPUT_CHARS] + f"\n[cut: {len(output)} characters in all]"
        self._out.send({"type": "response.item.create", "item": {
            "type": "function_call_output", "call_id": call_id, "output": output}})
        self._maybe_continue(call.response_key)
        return True

    def _maybe_continue(self, key: str) -> None:
        state = self._responses.get(key)
        if state is None or state.continued or state.status != "completed" or not state.calls:
            return
        if all(self.calls[c].answered for c in state.calls if c in self.calls):
            state.continued = True
            self.continues_sent += 1
            self._out.send({"type": "response.create"})

    def deadline(self) -> float | None:
        times = [c.deadline for c in self.calls.values() if c.deadline is not None]
        return min(times) if times else None

    def expire(self, now: float) -> None:
        for call_id, call in list(self.calls.items()):
            if call.deadline is not None and now >= call.deadline:
                self._out.act(CancelTool(call_id, "timed out"))
                self.answer(call_id, f"error: {call.name} did not finish in "
                                     f"{self._timeout_s:g} s")


def _arguments(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
