"""The TUI's view of Gemini tool calls, read from the approval's and the runner's records."""

from __future__ import annotations

from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.runtime.gemini.tool_view import ToolCallsSeen


def local(event: dict[str, Any]) -> LogRecord:
    return LogRecord(0.0, "", "local", event)


def test_a_call_goes_from_asked_to_running_to_done() -> None:
    seen = ToolCallsSeen(lambda: 5.0)
    seen.seen(local({"type": "local.tool.requested", "call_id": "c1", "name": "get_time"}))
    assert [(c.name, c.status, c.started_at) for c in seen.calls] == [
        ("get_time", "awaiting_approval", 5.0)]
    seen.seen(local({"type": "local.tool.approved", "call_id": "c1", "by": "user"}))
    assert seen.calls[0].status == "running"
    seen.seen(local({"type": "local.tool.finished", "call_id": "c1", "outcome": "ok",
                     "duration_ms": 40, "source": "command"}))
    (call,) = seen.calls
    assert (call.status, call.duration_s, call.source) == ("done", 0.04, "command")


def test_a_refused_or_failed_call_says_so_and_strangers_are_ignored() -> None:
    seen = ToolCallsSeen(lambda: 0.0)
    seen.seen(local({"type": "local.tool.finished", "call_id": "nobody", "outcome": "ok"}))
    assert seen.calls == ()
    for call_id in ("a", "b"):
        seen.seen(local({"type": "local.tool.requested", "call_id": call_id, "name": "t"}))
    seen.seen(local({"type": "local.tool.denied", "call_id": "a"}))
    seen.seen(local({"type": "local.tool.finished", "call_id": "b", "outcome": "error"}))
    assert [c.status for c in seen.calls] == ["denied", "failed"]
