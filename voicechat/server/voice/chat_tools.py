"""Tools over chat completions: the offer as ``tools``/``tool_choice``, streamed calls back, and
a conversation with calls in it as messages an OpenAI-compatible endpoint accepts.

Sans-IO (the HTTP side is :mod:`voicechat.server.voice.chat`), so each piece is tested with
plain values and the stream assembler with hypothesis.

* :func:`chat_tool_fields` — a Realtime function tool is ``{type, name, description,
  parameters}``; chat completions nest it: ``{"type": "function", "function": {name,
  description, parameters}}``, and a forced choice is ``{"type": "function", "function":
  {"name": …}}``.
* :class:`ToolCallAssembler` — a streamed call arrives in fragments under ``delta.tool_calls``
  (``index``, then ``id`` and ``function.name`` once, ``function.arguments`` in pieces), and
  several calls interleave by ``index``. The fragments are concatenated per index; the
  arguments are never parsed (a model's malformed JSON is passed on as the model wrote it, as
  the Realtime API does).
* :func:`chat_messages` — chat endpoints require every assistant ``tool_calls`` entry to be
  answered by a ``role: "tool"`` message right after it, where Realtime lets a call stay
  unanswered or be answered turns later. So each answer is moved up behind its call, an
  unanswered call gets :data:`NO_OUTPUT` (decided: a visible placeholder rather than dropping
  the call, so the model still knows it asked), and an answer to no known call is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.server.voice.reply import Message
from voicechat.server.voice.tools import ToolCall, ToolOffer

#: the tool message standing in for a call the client never answered
NO_OUTPUT = "(no output was sent for this call)"
_EMPTY_PARAMETERS: Mapping[str, Any] = {"type": "object", "properties": {}}


def chat_tool_fields(offer: ToolOffer) -> dict[str, Any]:
    """The request fields for ``offer`` (none when nothing is offered: chat servers refuse a
    ``tool_choice`` without ``tools``)."""
    if not offer.tools:
        return {}
    tools = []
    for tool in offer.tools:
        function: dict[str, Any] = {"name": tool.name}
        if tool.description:
            function["description"] = tool.description
        function["parameters"] = dict(tool.parameters or _EMPTY_PARAMETERS)
        tools.append({"type": "function", "function": function})
    forced = offer.forced_name
    choice = {"type": "function", "function": {"name": forced}} if forced else offer.choice
    return {"tools": tools, "tool_choice": choice}


@dataclass
class _Partial:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ToolCallAssembler:
    """Collects ``delta.tool_calls`` fragments; :meth:`calls` gives the finished calls."""

    def __init__(self) -> None:
        self._by_index: dict[int, _Partial] = {}

    def feed(self, fragments: Any) -> None:
        """One chunk's ``delta.tool_calls`` list (anything else is ignored)."""
        if not isinstance(fragments, list):
            return
        for position, fragment in enumerate(fragments):
            if not isinstance(fragment, Mapping):
                continue
            index = fragment.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                index = position  # some servers omit it when a chunk holds whole calls
            partial = self._by_index.setdefault(index, _Partial())
            call_id = fragment.get("id")
            if isinstance(call_id, str) and call_id:
                partial.id = call_id
            function = fragment.get("function")
            if isinstance(function, Mapping):
                name = function.get("name")
                if isinstance(name, str):
                    partial.name += name
                arguments = function.get("arguments")
                if isinstance(arguments, str):
                    partial.arguments.append(arguments)

    def calls(self) -> list[ToolCall]:
        """The calls in ``index`` order; one that never got a name is no call and is left out."""
        return [
            ToolCall(partial.name, "".join(partial.arguments))
            for _, partial in sorted(self._by_index.items())
            if partial.name
        ]


def chat_messages(system_prompt: str, history: list[Message], user_text: str) -> list[Message]:
    """System prompt, the conversation in an order chat endpoints accept, then the user's words
    (unless the history already ends with them, or with a call's answer: a response asked for
    after a tool output continues from it, with no new user turn)."""
    msgs: list[Message] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    answers = {str(m.get("tool_call_id")): m for m in history if m.get("role") == "tool"}
    for message in history:
        role, content = message.get("role"), message.get("content")
        calls = message.get("tool_calls")
        if role == "assistant" and calls:
            msgs.append({"role": "assistant", "content": content or None, "tool_calls": calls})
            for call in calls:
                call_id = str(call.get("id"))
                answer = answers.pop(call_id, None)
                output = answer.get("content") if answer is not None else NO_OUTPUT
                msgs.append({"role": "tool", "tool_call_id": call_id, "content": output})
        elif role in ("user", "assistant", "system") and content:
            msgs.append({"role": role, "content": content})
    last = msgs[-1] if msgs else None
    if last is not None and (last["role"] == "tool" or (
            last["role"] == "user" and isinstance(last["content"], list))):
        return msgs  # a call's answer, or the user's words already there with their pictures
    if last != {"role": "user", "content": user_text}:
        msgs.append({"role": "user", "content": user_text})
    return msgs
