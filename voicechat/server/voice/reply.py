"""The responder interface: what a responder is given and what it yields.

A responder gets the conversation as chat-completions messages (``history``: ``system``,
``user`` and ``assistant`` messages, an assistant turn's calls as ``tool_calls`` and their
outputs as ``role: "tool"`` messages; see :mod:`voicechat.server.history`), the user's last
words and the :class:`~voicechat.server.voice.tools.ToolOffer` of this response. It yields
word-sized text chunks (each keeps its trailing space), so the client sees text arrive the
way it does from the real API, and a :class:`~voicechat.server.voice.tools.ToolCall` for each
call it decides on, in the order the model made them: text before a call is the spoken
preamble ("let me check that"), as real models do.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

from voicechat.server.voice.tools import ToolCall, ToolOffer

_CHUNK = re.compile(r"\S+\s*")

#: one piece of a reply: a text chunk or a call
ReplyPart = str | ToolCall
#: a chat-completions message (``role``, ``content``, and ``tool_calls`` / ``tool_call_id``)
Message = dict[str, Any]


class ResponderError(RuntimeError):
    """A responder could not produce a reply; the message says why and what to do."""


class Responder(Protocol):
    """Produces the assistant's reply to ``user_text``: text chunks and tool calls."""

    def reply(
        self, history: list[Message], user_text: str, offer: ToolOffer = ...
    ) -> AsyncIterator[ReplyPart]: ...


def word_chunks(text: str) -> list[str]:
    """Split text into word-ish deltas that concatenate back to the text (whitespace kept)."""
    lead = text[: len(text) - len(text.lstrip())]
    chunks = _CHUNK.findall(text)
    if lead and chunks:
        chunks[0] = lead + chunks[0]
    return chunks
