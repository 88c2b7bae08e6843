"""What was said, kept for the spans only when the user opted in (``otel_content``).

Why apart from the timeline: the timeline never reads text, and the default must not even
hold it. A :class:`ContentCollector` exists only with the opt-in; it keeps the user's words
since the last answered turn, each response's text and each tool call's arguments and result,
and hands them over once per turn (then forgets them), so nothing grows over a long session.
Secrets are masked later, on every attribute, content or not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.record import Direction
from voicechat.latency.model import TurnLatency
from voicechat.telemetry.spans import TurnContent

#: Responses and tool calls remembered at most (the oldest go first).
_KEPT = 64


class ContentCollector:
    """Events in (as they crossed the wire, either dialect); one turn's content out."""

    def __init__(self) -> None:
        self._tracker = DialectTracker()
        self._user: list[str] = []
        self._said: OrderedDict[str, list[str]] = OrderedDict()
        self._finish: dict[str, str] = {}
        self._arguments: OrderedDict[str, str] = OrderedDict()
        self._results: OrderedDict[str, str] = OrderedDict()

    def feed(self, direction: Direction, event: Mapping[str, Any]) -> None:
        kind = event.get("type")
        if not isinstance(kind, str) or direction == "local":
            return
        event = self._tracker.canonical(dict(event), direction)
        kind = event.get("type")
        if kind == "conversation.item.input_audio_transcription.completed":
            _append(self._user, event.get("transcript"))
        elif kind in ("response.output_audio_transcript.done", "response.output_text.done"):
            rid = event.get("response_id")
            text = event.get("transcript") if "transcript" in event else event.get("text")
            if isinstance(rid, str) and isinstance(text, str) and text:
                _remember(self._said, rid, []).append(text)
        elif kind == "response.done":
            response = event.get("response")
            if isinstance(response, Mapping) and isinstance(response.get("id"), str):
                status = response.get("status")
                if isinstance(status, str):
                    self._finish[response["id"]] = status
                    while len(self._finish) > _KEPT:
                        self._finish.pop(next(iter(self._finish)))
        elif kind == "response.output_item.done":
            item = event.get("item")
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                call_id, arguments = item.get("call_id"), item.get("arguments")
                if isinstance(call_id, str) and isinstance(arguments, str):
                    _remember(self._arguments, call_id, arguments)
        elif kind == "conversation.item.create":
            self._item_created(event.get("item"))

    def take(self, turn: TurnLatency) -> TurnContent:
        """This turn's content; the user's words are handed over once."""
        user, self._user = self._user, []
        rid = turn.response_id or ""
        content = TurnContent(user=user, assistant=list(self._said.pop(rid, [])),
                              finish_reason=self._finish.pop(rid, None))
        for tool in turn.tools:
            if tool.call_id in self._arguments:
                content.tool_arguments[tool.call_id] = self._arguments.pop(tool.call_id)
            if tool.call_id in self._results:
                content.tool_results[tool.call_id] = self._results.pop(tool.call_id)
        return content

    def _item_created(self, item: Any) -> None:
        if not isinstance(item, Mapping):
            return
        if item.get("type") == "function_call_output":
            call_id, output = item.get("call_id"), item.get("output")
            if isinstance(call_id, str) and isinstance(output, str):
                _remember(self._results, call_id, output)
        elif item.get("role") == "user" and isinstance(item.get("content"), list):
            for part in item["content"]:
                if isinstance(part, Mapping) and part.get("type") in ("input_text", "text"):
                    _append(self._user, part.get("text"))


def _append(texts: list[str], text: Any) -> None:
    if isinstance(text, str) and text.strip():
        texts.append(text.strip())
        del texts[:-_KEPT]


def _remember(store: OrderedDict[str, Any], key: str, value: Any) -> Any:
    kept = store.setdefault(key, value)
    store.move_to_end(key)
    while len(store) > _KEPT:
        store.popitem(last=False)
    return kept
