"""Who answers in the local server: an echo, a script, or any OpenAI-compatible chat endpoint.

The conversation engine streams whatever a responder yields as ``response.output_text.delta`` /
transcript deltas and speaks it, and turns each tool call it yields into a ``function_call``
item (the interface: :mod:`voicechat.server.voice.reply`).

* ``echo`` (the default) says back what it heard, which makes the whole voice loop checkable by
  ear and by test. It never calls a tool, whatever the session declares or ``tool_choice``
  says.
* ``script:FILE`` replies with canned lines in order, tool calls included
  (``Let me check. @call get_weather {"city": "Paris"}``), for tests and demos:
  :mod:`voicechat.server.voice.script`.
* ``chat:URL`` streams from ``/v1/chat/completions`` of any OpenAI-compatible server (llama.cpp,
  Ollama, vLLM, ...), the session's function tools forwarded: :mod:`voicechat.server.voice.chat`.

Create one responder per conversation: the script responder counts its own turns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from voicechat.server.images import images_in
from voicechat.server.voice.chat import ChatResponder, chat_completions_url
from voicechat.server.voice.reply import (
    Message,
    ReplyPart,
    Responder,
    ResponderError,
    word_chunks,
)
from voicechat.server.voice.script import SCRIPT_END_REPLY, ScriptResponder
from voicechat.server.voice.tools import NO_TOOLS, ToolOffer

__all__ = [
    "EMPTY_INPUT_REPLY",
    "SCRIPT_END_REPLY",
    "ChatResponder",
    "EchoResponder",
    "Responder",
    "ResponderError",
    "ScriptResponder",
    "chat_completions_url",
    "make_responder",
    "word_chunks",
]

EMPTY_INPUT_REPLY = "I didn't catch that. Could you say it again?"


class EchoResponder:
    """Says back what the user said, and what pictures it got (format and size); never calls
    a tool."""

    async def reply(
        self, history: list[Message], user_text: str, offer: ToolOffer = NO_TOOLS
    ) -> AsyncIterator[ReplyPart]:
        heard = " ".join(user_text.split())
        text = f"You said: {heard}" if heard else EMPTY_INPUT_REPLY
        last = history[-1] if history else None
        pictures = images_in(last.get("content")) if last and last.get("role") == "user" else []
        if pictures:  # say what arrived, so a test (or an ear) can check the picture got here
            got = " and ".join(info.describe() for info in pictures)
            text = f"I got {got}." + (f" You said: {heard}" if heard else "")
        for chunk in word_chunks(text):
            yield chunk


def make_responder(spec: str) -> Responder:
    """``echo``, ``script:FILE`` or ``chat:URL`` -> a responder."""
    kind, _, arg = spec.partition(":")
    if kind == "echo" and not arg:
        return EchoResponder()
    if kind == "script" and arg:
        return ScriptResponder.from_file(arg)
    if kind == "chat" and arg:
        return ChatResponder(arg)
    raise ResponderError(
        f"unknown responder {spec!r}: use 'echo', 'script:FILE' or 'chat:URL' "
        "(e.g. chat:http://127.0.0.1:8080/v1)"
    )
