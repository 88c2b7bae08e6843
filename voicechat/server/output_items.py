"""The output items of one response: an assistant message or a function call, each in its slot.

A response holds an ordered list of output items (``output_index`` 0, 1, …): a spoken or
written message, function calls, or a message followed by calls (the "let me check that"
preamble, then the call, as real models do). Each item knows its identity, builds its item
object for any status and names the events that close its own parts; the events around it are
:class:`voicechat.server.response.ResponseEvents`'. Plain state, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from voicechat.server.ids import new_id

JSON = dict[str, Any]


class OutputItem(Protocol):
    """What the response needs of any output item (hosted tools add their own kinds)."""

    index: int
    id: str
    #: the item object it was closed with (``None`` while open)
    final: JSON | None

    def obj(self, status: str) -> JSON:
        """The item object with ``status``."""
        ...

    def closing_events(self, response_id: str) -> list[JSON]:
        """What closes the item's own parts before ``response.output_item.done``."""
        ...


@dataclass
class MessageItem:
    """An assistant message: one content part, audio (with its transcript) or text."""

    index: int
    audio: bool
    id: str = field(default_factory=lambda: new_id("item"))
    text: str = ""
    audio_samples: int = 0
    part_added: bool = False
    final: JSON | None = None  # the item object it was closed with

    @property
    def open(self) -> bool:
        return self.final is None

    def where(self, response_id: str) -> JSON:
        """The address fields every delta and part event of this message carries."""
        return {
            "response_id": response_id,
            "item_id": self.id,
            "output_index": self.index,
            "content_index": 0,
        }

    def closing_events(self, response_id: str) -> list[JSON]:
        """The content part's end: audio and transcript (or text) done, then the part."""
        if not self.part_added:
            return []
        where = self.where(response_id)
        if self.audio:
            part: JSON = {"type": "audio", "transcript": self.text}
            events = [
                {"type": "response.output_audio.done", **where},
                {"type": "response.output_audio_transcript.done", **where, "transcript": self.text},
            ]
        else:
            part = {"type": "text", "text": self.text}
            events = [{"type": "response.output_text.done", **where, "text": self.text}]
        return [*events, {"type": "response.content_part.done", **where, "part": part}]

    def obj(self, status: str) -> JSON:
        content: list[JSON] = []
        if self.part_added:
            content.append(
                {"type": "output_audio", "transcript": self.text}
                if self.audio
                else {"type": "output_text", "text": self.text}
            )
        return {
            "id": self.id,
            "type": "message",
            "object": "realtime.item",
            "status": status,
            "role": "assistant",
            "content": content,
        }


@dataclass
class FunctionCallItem:
    """A call for the client to run: name, ``call_id`` and the arguments streamed so far."""

    index: int
    name: str
    call_id: str
    id: str = field(default_factory=lambda: new_id("item"))
    arguments: str = ""
    final: JSON | None = None

    @property
    def open(self) -> bool:
        return self.final is None

    def where(self, response_id: str) -> JSON:
        """The address fields of this call's argument events."""
        return {
            "response_id": response_id,
            "item_id": self.id,
            "output_index": self.index,
            "call_id": self.call_id,
        }

    def closing_events(self, response_id: str) -> list[JSON]:
        """``.function_call_arguments.done``, with ``name`` (GA declares it; real beta sent it
        too). Sent on every ending, a cancelled one included, as the real service does."""
        return [
            {
                "type": "response.function_call_arguments.done",
                **self.where(response_id),
                "name": self.name,
                "arguments": self.arguments,
            }
        ]

    def obj(self, status: str) -> JSON:
        return {
            "id": self.id,
            "type": "function_call",
            "object": "realtime.item",
            "status": status,
            "name": self.name,
            "call_id": self.call_id,
            "arguments": self.arguments,
        }
