"""The model's tool calls as the TUI shows them, read from the tool runner's records.

The Gemini core keeps only what the protocol needs (which ids are pending, answered or
withdrawn); what the user sees of a call — asked, running, done, refused, how long — is what
the approval and the runner recorded (``local.tool.*``), so this reads those, as the event pane
does, rather than keep a second copy of the tool loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from voicechat.core.tool_specs import ToolCallView
from voicechat.eventlog.record import LogRecord

#: calls kept for the transcript (older ones have scrolled away)
MAX_CALLS = 50


class ToolCallsSeen:
    """Subscribe :meth:`seen` to the event stream; read :attr:`calls`."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._calls: dict[str, ToolCallView] = {}
        self.calls: tuple[ToolCallView, ...] = ()

    def seen(self, record: LogRecord) -> None:
        event = record.event
        kind, call_id = event.get("type"), event.get("call_id")
        if not isinstance(kind, str) or not kind.startswith("local.tool.") \
                or not isinstance(call_id, str):
            return
        call = self._calls.get(call_id)
        if kind == "local.tool.requested":
            self._calls[call_id] = ToolCallView(call_id, str(event.get("name", "?")), "",
                                                "awaiting_approval", started_at=self._clock())
            while len(self._calls) > MAX_CALLS:
                del self._calls[next(iter(self._calls))]
        elif call is None:
            return
        elif kind == "local.tool.approved":
            self._calls[call_id] = replace(call, status="running")
        elif kind == "local.tool.denied":
            self._calls[call_id] = replace(call, status="denied")
        elif kind == "local.tool.finished":
            took = event.get("duration_ms")
            self._calls[call_id] = replace(
                call, status="done" if event.get("outcome") == "ok" else "failed",
                source=str(event.get("source", "")),
                duration_s=took / 1000 if isinstance(took, int | float) else None)
        self.calls = tuple(self._calls.values())
