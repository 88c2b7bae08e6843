"""The conversation of one session: its items and the rules of every item operation.

Sans-IO on purpose: inserting after ``previous_item_id``, the bounds checks of
``conversation.item.truncate``, what a response hears of the history — these are protocol rules,
and they are tested with plain calls (``tests/server/test_conversation.py``). Events go out
through the ``emit`` callable given at construction; a refused operation returns the
:class:`ProtocolError` for the engine to send, and changes nothing.

A ``function_call_output`` is refused unless it answers a ``function_call`` item of this
conversation (:func:`voicechat.server.tools.unknown_call_output`); what a responder hears of
calls and outputs is :mod:`voicechat.server.history`'s.

Besides the items it keeps two facts the item objects cannot carry: how many milliseconds of
audio each assistant item has (the upper bound of a truncate) and what the "model" heard of user
items whose transcription failed (their transcript stays ``null`` on the wire).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.protocol import errors
from voicechat.protocol.errors import ProtocolError
from voicechat.server.history import chat_history
from voicechat.server.ids import new_id
from voicechat.server.images import check_images
from voicechat.server.tools import unknown_call_output

JSON = dict[str, Any]
Emit = Callable[[JSON], None]


def part_text(part: Any) -> str:
    """The text of one content part (``text`` or ``transcript``), ``""`` when it has none."""
    if not isinstance(part, Mapping):
        return ""
    for key in ("text", "transcript"):
        value = part.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


class Conversation:
    """Ordered items plus their audio lengths; every change announces itself through ``emit``."""

    def __init__(self, emit: Emit) -> None:
        self.id = new_id("conv")
        self.items: list[JSON] = []
        self._emit = emit
        self._audio_ms: dict[str, int] = {}
        #: what the "model" heard of items whose transcription failed (their transcript is null)
        self._heard: dict[str, str] = {}

    # --- lookup -------------------------------------------------------------------------------

    def find(self, item_id: Any) -> int | None:
        """Index of the item with ``item_id``, or ``None``."""
        for index, item in enumerate(self.items):
            if item.get("id") == item_id:
                return index
        return None

    @property
    def last_id(self) -> str | None:
        """The id of the last item (the ``previous_item_id`` of whatever comes next)."""
        return self.items[-1]["id"] if self.items else None

    def audio_ms(self, item_id: str) -> int:
        """Milliseconds of assistant audio the item holds (0 when it has none)."""
        return self._audio_ms.get(item_id, 0)

    def set_audio_ms(self, item_id: str, ms: int) -> None:
        self._audio_ms[item_id] = ms

    # --- client operations --------------------------------------------------------------------

    def create(self, event: Mapping[str, Any]) -> ProtocolError | None:
        """``conversation.item.create``: insert at the end, first (``root``) or after an item."""
        item_in = event.get("item")
        if not isinstance(item_in, Mapping):
            return errors.missing_required_parameter("item")
        if item_in.get("type") == "function_call_output" and not self.has_call(
            item_in.get("call_id")
        ):
            return unknown_call_output(str(item_in.get("call_id")))
        problem = check_images(item_in)
        if problem is not None:
            return problem
        item: JSON = copy.deepcopy(dict(item_in))
        item_id = item.get("id") or new_id("item")
        if self.find(item_id) is not None:
            return errors.duplicate_item_id(item_id)
        item["id"] = item_id
        if not str(item.get("type", "")).startswith("mcp_"):
            # MCP items have neither field (the SDK's models declare none for them)
            item.setdefault("object", "realtime.item")
            item.setdefault("status", "completed")
        prev = event.get("previous_item_id")
        if prev is None:
            index = len(self.items)
        elif prev == "root":
            index = 0
        else:
            found = self.find(prev)
            if found is None:
                return errors.item_not_found("previous_item_id", str(prev))
            index = found + 1
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_audio":
                part.setdefault("transcript", None)
        self.insert(index, item)
        return None

    def delete(self, item_id: str) -> ProtocolError | None:
        index = self.find(item_id)
        if index is None:
            return errors.item_not_found("item_id", item_id)
        del self.items[index]
        self._audio_ms.pop(item_id, None)
        self._heard.pop(item_id, None)
        self._emit({"type": "conversation.item.deleted", "item_id": item_id})
        return None

    def retrieve(self, item_id: str) -> ProtocolError | None:
        index = self.find(item_id)
        if index is None:
            return errors.item_not_found("item_id", item_id)
        self._emit(
            {"type": "conversation.item.retrieved", "item": copy.deepcopy(self.items[index])}
        )
        return None

    def truncate(self, item_id: str, content_index: Any, end_ms: Any) -> ProtocolError | None:
        """``conversation.item.truncate``: only assistant audio, only within what it holds."""
        index = self.find(item_id)
        if index is None:
            return errors.item_not_found("item_id", item_id)
        item = self.items[index]
        parts = item.get("content") or []
        if item.get("role") != "assistant" or not any(
            isinstance(p, dict) and p.get("type") == "output_audio" for p in parts
        ):
            return errors.truncate_not_audio(item_id)
        if content_index != 0:
            return errors.invalid_value("content_index", content_index, [0])
        audio_ms = self.audio_ms(item_id)
        if not isinstance(end_ms, int) or isinstance(end_ms, bool) or end_ms < 0:
            return errors.invalid_type("audio_end_ms", "an integer", repr(end_ms))
        if end_ms > audio_ms:
            return errors.truncate_out_of_range(end_ms, audio_ms)
        self._apply_truncate(item, end_ms, audio_ms)
        return None

    def truncate_to_played(self, item_id: str | None, played_ms: int | None) -> None:
        """After the server cut playback (WebRTC): keep only what the listener heard."""
        if item_id is None or played_ms is None:
            return
        index = self.find(item_id)
        if index is None:
            return
        audio_ms = self.audio_ms(item_id)
        if played_ms < audio_ms:
            self._apply_truncate(self.items[index], played_ms, audio_ms)

    def _apply_truncate(self, item: JSON, end_ms: int, audio_ms: int) -> None:
        """Keep the transcript the listener heard (proportionally, at a word boundary)."""
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "output_audio":
                transcript = part.get("transcript") or ""
                if audio_ms > 0 and end_ms < audio_ms:
                    words = transcript.split()
                    keep = int(len(words) * end_ms / audio_ms)
                    part["transcript"] = " ".join(words[:keep])
        self._audio_ms[item["id"]] = end_ms
        self._emit(
            {
                "type": "conversation.item.truncated",
                "item_id": item["id"],
                "content_index": 0,
                "audio_end_ms": end_ms,
            }
        )

    # --- items the server adds ----------------------------------------------------------------

    def insert(self, index: int, item: JSON) -> None:
        """Insert a complete item: ``conversation.item.added`` then ``.done``."""
        previous = self.items[index - 1]["id"] if index > 0 else None
        self.items.insert(index, item)
        snapshot = copy.deepcopy(item)
        self._emit(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": snapshot}
        )
        self._emit(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": snapshot}
        )

    def add_user_audio(self, item_id: str) -> None:
        """A committed input audio turn, transcript pending (``null``) until recognised."""
        item: JSON = {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        self.insert(len(self.items), item)

    def set_transcript(self, item_id: str, text: str) -> None:
        """Fill in the transcript of a user audio item (gone if the client deleted it)."""
        index = self.find(item_id)
        if index is None:
            return
        for part in self.items[index].get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_audio":
                part["transcript"] = text

    def set_heard(self, item_id: str, text: str) -> None:
        """What the model heard of an item whose transcript stays ``null``."""
        self._heard[item_id] = text

    def begin_response_item(self, item: JSON) -> None:
        """An assistant item a response starts: only ``conversation.item.added`` for now."""
        previous = self.last_id
        self.items.append(copy.deepcopy(item))
        self._emit({"type": "conversation.item.added", "previous_item_id": previous, "item": item})

    def finish_response_item(self, item: JSON) -> None:
        """The response ended: store its final item and send ``conversation.item.done``."""
        index = self.find(item["id"])
        if index is not None:
            self.items[index] = copy.deepcopy(item)
        previous = self.items[index - 1]["id"] if index else None
        self._emit({"type": "conversation.item.done", "previous_item_id": previous, "item": item})

    def refresh_item(self, item: JSON) -> None:
        """Store the current state of an item still being produced, silently: the real
        service sends no event for it, but ``conversation.item.retrieve`` shows it (the
        Agents SDK retrieves an ``mcp_call`` on ``response.mcp_call.in_progress``)."""
        index = self.find(item["id"])
        if index is not None:
            self.items[index] = copy.deepcopy(item)

    # --- what a response sees -----------------------------------------------------------------

    def text_of(self, item: Mapping[str, Any]) -> str:
        """An item's text: its parts' text or transcripts, else what the model heard."""
        text = " ".join(t for t in (part_text(p) for p in item.get("content") or []) if t)
        return text or self._heard.get(str(item.get("id")), "")

    def history(self, instructions: Any, items: list[JSON] | None = None) -> list[JSON]:
        """The conversation (or ``items``) as chat messages for the responder, instructions
        first; calls and their outputs included (:func:`voicechat.server.history.chat_history`)."""
        return chat_history(self.items if items is None else items, instructions, self.text_of)

    def has_call(self, call_id: Any) -> bool:
        """Whether a ``function_call`` item with ``call_id`` is in the conversation."""
        return any(
            item.get("type") == "function_call" and item.get("call_id") == call_id
            for item in self.items
        )

    def last_user(self, items: list[JSON] | None = None) -> JSON | None:
        """The last user item of the context (the conversation, or ``items``)."""
        for item in reversed(self.items if items is None else items):
            if item.get("role") == "user":
                return item
        return None

    def resolve_input(self, raw: Any) -> list[JSON] | ProtocolError | None:
        """``response.input`` as the items the response sees (``None``: the conversation).

        ``item_reference`` entries are looked up in the conversation; inline items are used as
        given. None of them is added to the conversation.
        """
        if not isinstance(raw, list):
            return None
        items: list[JSON] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, Mapping):
                continue
            if entry.get("type") == "item_reference":
                found = self.find(entry.get("id"))
                if found is None:
                    path = f"response.input[{index}].id"
                    return errors.item_not_found(path, str(entry.get("id")))
                items.append(copy.deepcopy(self.items[found]))
            else:
                item = copy.deepcopy(dict(entry))
                item.setdefault("id", new_id("item"))
                items.append(item)
        return items
