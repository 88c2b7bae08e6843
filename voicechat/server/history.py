"""The conversation as chat-completions messages: what a responder sees of the items.

Messages become ``{"role", "content"}``; a ``function_call`` item joins the assistant message
before it (the spoken preamble of the same turn) as a ``tool_calls`` entry, or starts one;
a ``function_call_output`` item becomes a ``role: "tool"`` message with its ``tool_call_id``.
Those are the shapes an OpenAI-compatible endpoint takes back on the next turn; the chat
responder reorders them further where chat endpoints are stricter than Realtime
(:func:`voicechat.server.voice.chat_tools.chat_messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from voicechat.server.images import chat_content

Message = dict[str, Any]


def chat_history(
    items: Iterable[Mapping[str, Any]],
    instructions: Any,
    text_of: Callable[[Mapping[str, Any]], str],
) -> list[Message]:
    """``items`` as chat messages, ``instructions`` first as the system message."""
    out: list[Message] = []
    if isinstance(instructions, str) and instructions:
        out.append({"role": "system", "content": instructions})
    for item in items:
        kind = item.get("type")
        if kind == "message":
            content = chat_content(item, text_of(item))
            out.append({"role": str(item.get("role")), "content": content})
        elif kind == "function_call":
            call = {
                "id": str(item.get("call_id") or ""),
                "type": "function",
                "function": {
                    "name": str(item.get("name") or ""),
                    "arguments": str(item.get("arguments") or ""),
                },
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                out.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "mcp_call":
            out.extend(_mcp_call(item, out[-1] if out else None))
        elif kind == "function_call_output":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": str(item.get("call_id") or ""),
                    "content": str(item.get("output") or ""),
                }
            )
    return out


def _mcp_call(item: Mapping[str, Any], last: Message | None) -> list[Message]:
    """A hosted MCP call the server ran: the assistant's call and its result as a tool message
    (keyed by the item's id, as an ``mcp_call`` has no ``call_id``), so the model knows what
    it called and what came back. ``mcp_list_tools`` and approval items are not messages."""
    item_id = str(item.get("id") or "")
    call = {
        "id": item_id,
        "type": "function",
        "function": {
            "name": str(item.get("name") or ""),
            "arguments": str(item.get("arguments") or ""),
        },
    }
    out: list[Message] = []
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(call)
    else:
        out.append({"role": "assistant", "content": "", "tool_calls": [call]})
    error = item.get("error")
    if isinstance(error, Mapping):
        content = f"Error ({error.get('type')}): {error.get('message')}"
    else:
        content = str(item.get("output") or "")
    out.append({"role": "tool", "tool_call_id": item_id, "content": content})
    return out


def message_chars(message: Mapping[str, Any]) -> str:
    """The text of a message that counts towards the context's size (content and calls)."""
    content = message.get("content") or ""
    text = content if isinstance(content, str) else " ".join(
        str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        text += str(function.get("name") or "") + str(function.get("arguments") or "")
    return text
