"""What the line face asks of an API family: the one seam every family feeds.

Realtime (:class:`voicechat.lines.realtime.RealtimeLines`) and GPT-Live
(:class:`voicechat.lines.live.LiveLines`) implement it; a new family (Gemini Live) adds a
third implementation, not a third copy of the run. What differs between families is only
here: the runtime, when the run is finished and when it is idle (the end watch), how stdin's
lines wait for an answer, and what usage means. Everything else (printing, stdin, tool
approval on the terminal, signals, teardown) is the face's, the same for all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from voicechat.core import AskApproval
from voicechat.eventlog.record import LogRecord
from voicechat.lines.frame import EndWatch, LinesRuntime
from voicechat.lines.stdin import StdinLines


class LineRuntime(LinesRuntime, Protocol):
    """What the face asks of a family's runtime (``Runtime`` and ``LiveRuntime``): the
    frame's lifecycle (``LinesRuntime``) plus what the lines send and read."""

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]: ...

    def send_text(self, text: str) -> None: ...

    def send_image(self, path: str, caption: str = "") -> str | None: ...

    def set_tool_prompt(self, prompt: Callable[[AskApproval], None] | None) -> None: ...

    def answer_tool(self, call_id: str, decision: str) -> None: ...


class LineFamily(Protocol):
    """An API family as the line face reads it."""

    @property
    def runtime(self) -> LineRuntime:
        """The family's runtime, made from the settings and not started yet."""

    @property
    def start_fix(self) -> bool:
        """Say the TUI's advice for an auth or connection failure when the start fails."""

    def end_watch(self, turns: int | None) -> EndWatch:
        """When this family's run is finished (``--turns``, the end of a mic file), and idle."""

    def stdin_lines(self, turns: int | None) -> StdinLines:
        """Stdin's lines: piped ones each sent when this family has answered the one before,
        typed ones at once; either way the last one's answer is awaited at the end of the
        input (the family says what an answer is)."""

    def usage_after(self, response_id: Any) -> str | None:
        """In the event flow, the line after a ``response.done`` (its usage), if any."""

    def usage_summary(self) -> str:
        """The session's usage, the run's last line."""
