"""One stream's event summaries, with what a single event cannot say about tool calls.

:mod:`voicechat.eventlog.summary` summarises one event at a time. A tool output names the call
it answers but not the tool, nor how long the app took; MCP progress events carry only an
``item_id``. A :class:`Summarizer` per stream (the event pane, a ``--no-ui`` run, a replay, one
observed session) remembers those across events. It sits on the event pane's hot path, so an
event that is not about a tool costs it one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summary import (
    ADDED_EVENTS,
    MALFORMED,
    UNREADABLE,
    arrow,
    detail,
    format_time,
    mcp_list_text,
    mcp_tool_text,
    name_text,
)
from voicechat.protocol.text import printable


class PacedRecord(LogRecord):
    """A record whose ``t`` was made up to pace a log that has no times (replay of a bare
    JSONL capture): a :class:`Summarizer` says no durations for it, which would be invented."""


MAX_REMEMBERED = 256
"""Calls and MCP items a :class:`Summarizer` remembers; the oldest go first (a session that
never answers its calls must not grow without bound)."""


class Summarizer:
    """One stream's summaries, with what a single event cannot say.

    A tool output says which call it answers (``call_id``) but not the tool's name or how long
    the app took to answer: that is the time from the call's completion (its item ``completed``
    in ``response.output_item.done``) to the output being sent
    (``conversation.item.create``, or the server's echo of the item when the log holds only
    server events). MCP progress events carry only an ``item_id``: the label and tool, the tool
    count and the call's duration come from the items seen before. Times come from the
    records' ``t``; a log without times (a :class:`PacedRecord`) gets no durations.
    """

    def __init__(self) -> None:
        self._completed_at: dict[str, float | None] = {}  # call_id → t of completion
        self._names: dict[str, str] = {}  # call_id → function name
        self._mcp: dict[str, str] = {}  # item_id → "label.tool" or "label: N tools"
        self._mcp_started: dict[str, float] = {}  # mcp_call item_id → t of in_progress

    def detail(self, record: LogRecord) -> str:
        """:func:`detail` of the record's event, plus what this stream taught (tool events)."""
        event = record.event
        kind = event.get("type")
        note = _NOTES.get(kind) if isinstance(kind, str) else None
        text = detail(event)
        if note is None:
            return text
        try:
            extra = note(self, event, None if isinstance(record, PacedRecord) else record.t)
        except MALFORMED:
            extra = UNREADABLE
        return f"{text} · {extra}" if extra and text else extra or text

    def summarize(self, record: LogRecord) -> str:
        return f"{record.event.get('type', '?')} {self.detail(record)}".rstrip()

    def line(self, record: LogRecord) -> str:
        """:func:`summary_line` with this stream's memory."""
        return f"{format_time(record.t)} {arrow(record.dir)} {printable(self.summarize(record))}"

    # --- what each kind of event teaches, and adds to its line --------------------------------

    def _item(self, event: Mapping[str, Any], t: float | None) -> str:
        item = event.get("item")
        kind = item.get("type") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not isinstance(kind, str):
            return ""
        call_id = item.get("call_id")
        if kind == "function_call" and isinstance(call_id, str):
            _remember(self._names, call_id, name_text(item.get("name")))
            # completed by the model: response.output_item.done (conversation.item.done also
            # follows an item the app itself created, e.g. history seeded into a new session)
            if item.get("status") == "completed" and call_id not in self._completed_at \
                    and event.get("type") == "response.output_item.done":
                _remember(self._completed_at, call_id, t)
        elif kind == "function_call_output" and isinstance(call_id, str):
            return self._answered(call_id, t)
        elif kind == "mcp_list_tools" and isinstance(item.get("id"), str):
            listed = item.get("tools") or event.get("type") not in ADDED_EVENTS  # see summary._item
            text = mcp_list_text(item) if listed else f"mcp {name_text(item.get('server_label'))}"
            _remember(self._mcp, item["id"], text)
        elif kind in ("mcp_call", "mcp_tool_call", "mcp_approval_request") \
                and isinstance(item.get("id"), str):
            _remember(self._mcp, item["id"], f"mcp {mcp_tool_text(item)}")
        elif kind == "mcp_approval_response":
            asked = item.get("approval_request_id")
            return self._mcp.get(asked, "") if isinstance(asked, str) else ""
        return ""

    def _answered(self, call_id: str, t: float | None) -> str:
        """``get_weather, 1.20 s after the call``: said once, at the first sight of an output."""
        name = self._names.get(call_id, "")
        if call_id not in self._completed_at:
            return name
        done = self._completed_at.pop(call_id)
        if t is None or done is None:
            return name
        after = f"{max(0.0, t - done):.2f} s after the call"
        return f"{name}, {after}" if name else after

    def _arguments_done(self, event: Mapping[str, Any], t: float | None) -> str:
        """The beta spec's ``.done`` has no ``name`` (the live server sent one): the name the
        call's item gave is said instead."""
        call_id = event.get("call_id")
        if not isinstance(call_id, str):
            return ""
        if isinstance(event.get("name"), str):
            _remember(self._names, call_id, name_text(event["name"]))
            return ""
        return self._names.get(call_id, "")

    def _mcp_progress(self, event: Mapping[str, Any], t: float | None) -> str:
        item_id = event.get("item_id")
        if not isinstance(item_id, str):
            return ""
        known = self._mcp.get(item_id, "")
        kind = event.get("type")
        if kind == "response.mcp_call.in_progress" and t is not None:
            _remember(self._mcp_started, item_id, t)
        elif kind in ("response.mcp_call.completed", "response.mcp_call.failed"):
            started = self._mcp_started.pop(item_id, None)
            if started is not None and t is not None:
                took = f"{max(0.0, t - started):.2f} s"
                return f"{known}, {took}" if known else took
        return known


def _remember(memory: dict[str, Any], key: str, value: Any) -> None:
    memory[key] = value
    if len(memory) > MAX_REMEMBERED:
        del memory[next(iter(memory))]


_NOTES: dict[str, Callable[[Summarizer, Mapping[str, Any], float | None], str]] = {
    **dict.fromkeys(("conversation.item.added", "conversation.item.done",
                     "conversation.item.created", "conversation.item.create",
                     "conversation.item.retrieved", "response.output_item.added",
                     "response.output_item.done"), Summarizer._item),
    "response.function_call_arguments.done": Summarizer._arguments_done,
    **dict.fromkeys(("mcp_list_tools.in_progress", "mcp_list_tools.completed",
                     "mcp_list_tools.failed", "response.mcp_call_arguments.done",
                     "response.mcp_call.in_progress", "response.mcp_call.completed",
                     "response.mcp_call.failed"), Summarizer._mcp_progress),
}
