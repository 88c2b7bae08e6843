"""A GPT-Live conversation in the line face (``voicechat --api live --no-ui``): when its run
is finished, its usage line, and how piped lines wait for its answers.

When it is finished: GPT-Live has no ``response.done``, so ``--turns N`` counts the assistant's
turns as the core closed them (a turn closes after a gap in its transcript) once the assistant
is no longer audible at our speaker. At the end of ``--mic FILE`` the mic goes on streaming
silence (full duplex), and the run ends once nothing was said or played for
:data:`QUIET_AFTER_MIC_END_S`. Typed lines from a terminal become instruction appends as they
are typed; piped lines go in the same way, one per answer, and the run ends after the last
answer (:mod:`voicechat.lines.live_pacing`).

How the run's end is watched is Gemini's too (:mod:`voicechat.lines.duplex`); what ends
GPT-Live's session, its turns and its usage are here.
"""

from __future__ import annotations

import time
from typing import Any

from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.lines.duplex import DuplexLines, DuplexRunEnd
from voicechat.lines.frame import Ending
from voicechat.lines.live_pacing import LiveStdinLines
from voicechat.lines.stdin import StdinLines
from voicechat.runtime.live import LiveRuntime


class LiveRunEnd(DuplexRunEnd[LiveRuntime]):
    """Decides when a headless GPT-Live run is finished."""

    counted = "assistant"

    def _seen(self, record: LogRecord) -> None:
        kind = record.event.get("type")
        if kind in ("session.input_transcript.delta", "session.output_transcript.delta",
                    "local.live.turn", "session.delegation.created"):
            self._last_activity = time.monotonic()

    def assistant_turns(self) -> int:
        turns = self._runtime.live_view.turns
        return sum(1 for t in turns if t.speaker == "assistant" and t.closed)

    def turns_done(self) -> int:
        return self.assistant_turns()

    def idle(self) -> bool:
        """The assistant is not audible at our speaker and no task runs."""
        runtime = self._runtime
        return not runtime.speaking and not any(t.state == "running"
                                                for t in runtime.live_view.tasks)

    def _session_ending(self) -> Ending | None:
        view = self._runtime.live_view
        if view.state in ("closed", "failed"):
            level, code = ("info", 0) if view.state == "closed" else ("error", 1)
            return Ending(level, f"the session ended ({view.close_reason or view.state})", code)
        return None


def usage_line(runtime: LiveRuntime) -> str:
    view = runtime.live_view
    seconds = "unknown" if view.usage_seconds is None else f"{view.usage_seconds:g} s"
    confirmed = "confirmed by session.closed" if view.state == "closed" and \
        view.close_reason is not None else "unconfirmed"
    turns = sum(1 for t in view.turns if t.speaker == "assistant" and t.closed)
    return f"session usage: {turns} assistant turn(s) · {seconds} ({confirmed})"


class LiveLines(DuplexLines[LiveRuntime]):
    """GPT-Live as the line face reads it (:class:`~voicechat.lines.family.LineFamily`)."""

    def __init__(self, settings: Settings, *, earlier: Any = None) -> None:
        self.runtime = LiveRuntime(settings, earlier=earlier)

    def end_watch(self, turns: int | None) -> LiveRunEnd:
        return LiveRunEnd(self.runtime, turns)

    def stdin_lines(self, turns: int | None) -> StdinLines:
        """Stdin's lines wait for an answer turn, or give up after a while
        (:mod:`voicechat.lines.live_pacing`)."""
        return LiveStdinLines(self.runtime, turns=turns)

    def usage_summary(self) -> str:
        return usage_line(self.runtime)
