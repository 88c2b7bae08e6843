"""Tool calls as plain UI values, and the one place that reads them from the core's view.

The transcript draws each call inline, in conversation order among the assistant's items (the
core places the ``function_call`` item like any other), folding the call's output into the
call's own line; the status bar shows the call that is running. Both take :class:`ToolCall`
values, never core objects, so they are tested with plain data and a change in the core's tool
view is a change here only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from voicechat.core.tool_specs import ToolCallView
from voicechat.core.view import SessionView
from voicechat.protocol.text import printable

STATUS_LABELS = {
    "streaming": "arguments arriving",
    "skipped": "skipped (its response did not complete)",
    "awaiting_approval": "awaiting approval",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "denied": "denied",
    "timed_out": "timed out",
    "cancelled": "cancelled",
}
"""What the transcript says for each status of a call."""

STATUS_MARKS = {
    "streaming": "⋯",
    "skipped": "–",
    "awaiting_approval": "?",
    "running": "⋯",
    "done": "✓",
    "failed": "✗",
    "denied": "⊘",
    "timed_out": "⧗",
    "cancelled": "⊘",
}

ACTIVE = frozenset({"streaming", "awaiting_approval", "running"})
"""Statuses of a call that is not finished: the status bar shows it, its time still runs."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the UI shows it.

    ``status``: ``streaming`` (arguments arriving), ``awaiting_approval``, ``running``,
    ``done``, ``failed``, ``denied``, ``timed_out`` or ``skipped`` (its response did not
    complete: never run). ``started_at``/``ended_at`` are in the core's clock;
    ``output`` is what the model was given (capped by the runtime) or, for a hosted MCP call,
    the server's output or error.
    """

    call_id: str
    item_id: str
    name: str
    source: str = ""
    arguments: str = ""
    status: str = "running"
    started_at: float | None = None
    ended_at: float | None = None
    output: str = ""
    hosted: bool = False

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def elapsed(self, now: float) -> float | None:
        """Seconds it ran (or has been running at ``now``); None before it started."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.started_at)


def source_label(source: str, kind: str = "function") -> str:
    """Where a call runs, for people: ``mcp:files`` → ``MCP server 'files'``; a hosted call
    (``kind`` ``mcp``, run by the Realtime server) → ``hosted MCP server 'deepwiki'``."""
    source = printable(source)
    if source.startswith("mcp:"):
        name = source[4:]
        return f"hosted MCP server '{name}'" if kind == "mcp" else f"MCP server '{name}'"
    return source


def read_tool_call(raw: ToolCallView) -> ToolCall:
    """A core :class:`~voicechat.core.tool_specs.ToolCallView` as a :class:`ToolCall`."""
    ended = (raw.started_at + raw.duration_s
             if raw.started_at is not None and raw.duration_s is not None else None)
    return ToolCall(
        call_id=raw.call_id, item_id=raw.item_id or "", name=printable(raw.name),
        source=source_label(raw.source, raw.kind), arguments=raw.arguments,
        status=str(raw.status), started_at=raw.started_at, ended_at=ended,
        output=raw.output or "", hosted=raw.kind == "mcp",
    )


def read_tool_calls(view: SessionView) -> tuple[ToolCall, ...]:
    """Every call the core knows, oldest first."""
    return tuple(read_tool_call(call) for call in view.tool_calls)


def running(calls: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    """The calls not finished yet, oldest first (the status bar shows them)."""
    return tuple(call for call in calls if call.active)


def running_label(calls: Iterable[ToolCall], now: float) -> str:
    """What the status bar says while calls are unfinished: ``get_weather 1.2 s`` (the oldest
    running one), ``+1`` for each other, or ``get_weather: approve?`` while it waits for you;
    "" when none is."""
    active = running(calls)
    if not active:
        return ""
    first = active[0]
    if first.status == "awaiting_approval":
        label = f"{first.name}: approve?"
    else:
        elapsed = first.elapsed(now)
        label = first.name if elapsed is None else f"{first.name} {_seconds(elapsed)}"
    if len(active) > 1:
        label += f" +{len(active) - 1}"
    return label


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{int(value // 60)} min {int(value % 60)} s"
