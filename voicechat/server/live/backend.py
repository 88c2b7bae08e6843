"""The nested Responses stream of a delegation (``response.event``), as pure builders.

With ``delegation.type: "responses"`` the voice model hands work to a Responses backend and
relays the backend's streaming events inside ``response.event{delegation_id, event}``. Here the
session's responder plays that backend. Lifecycle snapshots are stripped as the real service
strips them (``output: []``, ``tools: []``, ``instructions: null``, no ``input``: reference
§3.4), so clients must read calls from ``response.output_item.done``; the SDK types the nested
event as a plain object, so its shape follows the Responses streaming events.
"""

from __future__ import annotations

from typing import Any

from voicechat.server.ids import new_id

JSON = dict[str, Any]


class BackendRun:
    """The events of one backend response, numbered by ``sequence_number``."""

    def __init__(self, *, response_id: str, model: str, created_at: int) -> None:
        self.id = response_id
        self.model = model
        self.created_at = created_at
        self._seq = 0
        self._index = 0

    def _event(self, kind: str, **fields: Any) -> JSON:
        event = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return event

    def _snapshot(self, status: str, usage: JSON | None = None) -> JSON:
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "output": [],
            "tools": [],
            "instructions": None,
            "usage": usage,
        }

    def created(self) -> list[JSON]:
        return [self._event("response.created", response=self._snapshot("in_progress")),
                self._event("response.in_progress", response=self._snapshot("in_progress"))]

    def function_call(self, call_id: str, name: str, arguments: str) -> list[JSON]:
        item_id = new_id("fc")
        index = self._index
        self._index += 1
        pending = {"id": item_id, "type": "function_call", "status": "in_progress",
                   "call_id": call_id, "name": name, "arguments": ""}
        done = {**pending, "status": "completed", "arguments": arguments}
        return [
            self._event("response.output_item.added", output_index=index, item=pending),
            self._event("response.function_call_arguments.delta", item_id=item_id,
                        output_index=index, delta=arguments),
            self._event("response.function_call_arguments.done", item_id=item_id,
                        output_index=index, arguments=arguments),
            self._event("response.output_item.done", output_index=index, item=done),
        ]

    def message_started(self) -> tuple[str, list[JSON]]:
        item_id = new_id("msg")
        item = {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant",
                "content": []}
        return item_id, [
            self._event("response.output_item.added", output_index=self._index, item=item),
            self._event("response.content_part.added", item_id=item_id,
                        output_index=self._index, content_index=0,
                        part={"type": "output_text", "text": "", "annotations": []}),
        ]

    def text_delta(self, item_id: str, delta: str) -> JSON:
        return self._event("response.output_text.delta", item_id=item_id,
                           output_index=self._index, content_index=0, delta=delta)

    def message_done(self, item_id: str, text: str) -> list[JSON]:
        part = {"type": "output_text", "text": text, "annotations": []}
        item = {"id": item_id, "type": "message", "status": "completed", "role": "assistant",
                "content": [part]}
        events = [
            self._event("response.output_text.done", item_id=item_id, output_index=self._index,
                        content_index=0, text=text),
            self._event("response.content_part.done", item_id=item_id,
                        output_index=self._index, content_index=0, part=part),
            self._event("response.output_item.done", output_index=self._index, item=item),
        ]
        self._index += 1
        return events

    def completed(self, *, input_tokens: int, output_tokens: int) -> JSON:
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                 "total_tokens": input_tokens + output_tokens}
        return self._event("response.completed", response=self._snapshot("completed", usage))
