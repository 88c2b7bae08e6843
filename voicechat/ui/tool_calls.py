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
from typing import Any

from voicechat.protocol.text import printable

STATUS_LABELS = {
    "awaiting_approval": "waiting for your approval",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "denied": "denied",
    "timed_out": "timed out",
    "cancelled": "cancelled",
}
"""What the transcript says for each status of a call."""

STATUS_MARKS = {
    "awaiting_approval": "?",
    "running": "⋯",
    "done": "✓",
    "failed": "✗",
    "denied": "⊘",
    "timed_out": "⧗",
    "cancelled": "⊘",
}

ACTIVE = frozenset({"awaiting_approval", "running"})
"""Statuses of a call that is not finished: the status bar shows it, its time still runs."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the UI shows it.

    ``status``: ``awaiting_approval``, ``running``, ``done``, ``failed``, ``denied``,
    ``timed_out`` or ``cancelled``. ``started_at``/``ended_at`` are in the core's clock;
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


def read_tool_call(raw: Any) -> ToolCall:
    """A core tool-call view as a :class:`ToolCall` (names and text from the wire made safe)."""

    def text(name: str) -> str:
        value = getattr(raw, name, "")
        return value if isinstance(value, str) else ("" if value is None else str(value))

    def when(name: str) -> float | None:
        value = getattr(raw, name, None)
        return float(value) if isinstance(value, int | float) else None

    status = getattr(raw, "status", "running")
    status = getattr(status, "value", status)
    return ToolCall(
        call_id=text("call_id"), item_id=text("item_id"),
        name=printable(text("name")), source=printable(text("source")),
        arguments=text("arguments"), status=str(status).lower(),
        started_at=when("started_at"), ended_at=when("ended_at"),
        output=text("output"), hosted=bool(getattr(raw, "hosted", False)),
    )


def read_tool_calls(view: Any) -> tuple[ToolCall, ...]:
    """Every call the core knows, oldest first (none from a core without a tool view)."""
    raw: Iterable[Any] = getattr(view, "tool_calls", None) or ()
    return tuple(read_tool_call(call) for call in raw)


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
