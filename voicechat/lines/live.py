"""A GPT-Live conversation in the line face (``voicechat --api live --no-ui``): when its run
is finished, its usage line, and how piped lines wait for its answers.

When it is finished: GPT-Live has no ``response.done``, so ``--turns N`` counts the assistant's
turns as the core closed them (a turn closes after a gap in its transcript) once the assistant
is no longer audible at our speaker. At the end of ``--mic FILE`` the mic goes on streaming
silence (full duplex), and the run ends once nothing was said or played for
:data:`QUIET_AFTER_MIC_END_S`. Typed lines from a terminal become instruction appends as they
are typed; piped lines go in the same way, one per answer, and the run ends after the last
answer (:mod:`voicechat.lines.live_pacing`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.lines.frame import Ending, EndWatch
from voicechat.lines.live_pacing import LiveStdinLines
from voicechat.lines.stdin import StdinLines
from voicechat.runtime.live import LiveRuntime

QUIET_AFTER_MIC_END_S = 4.0
CHECK_EVERY_S = 0.1


class LiveRunEnd(EndWatch):
    """Decides when a headless GPT-Live run is finished."""

    def __init__(self, runtime: LiveRuntime, turns: int | None) -> None:
        super().__init__(runtime, turns)
        self._runtime = runtime
        self._turns = turns
        self._last_activity = time.monotonic()
        runtime.subscribe(self._seen)

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

    def check(self) -> Ending | None:
        runtime, turns = self._runtime, self._turns
        view = runtime.live_view
        if view.state in ("closed", "failed"):
            level, code = ("info", 0) if view.state == "closed" else ("error", 1)
            return Ending(level, f"the session ended ({view.close_reason or view.state})", code)
        if runtime.speaking or any(t.state == "running" for t in view.tasks):
            self._last_activity = time.monotonic()
            return None
        done = self.assistant_turns()
        if turns is not None and done >= turns:
            return Ending("info", f"{done} assistant turn(s) completed")
        if (runtime.mic_ended and runtime.mic is not None and runtime.mic.kind == "file"
                and time.monotonic() - self._last_activity > QUIET_AFTER_MIC_END_S):
            if turns is not None and done < turns:
                return Ending("error", f"the mic file ended after {done} of {turns} assistant "
                                       "turn(s)", 1)
            return Ending("info", "end of the mic file and of the reply")
        return None

    async def _pause(self) -> None:
        await asyncio.sleep(CHECK_EVERY_S)


def usage_line(runtime: LiveRuntime) -> str:
    view = runtime.live_view
    seconds = "unknown" if view.usage_seconds is None else f"{view.usage_seconds:g} s"
    confirmed = "confirmed by session.closed" if view.state == "closed" and \
        view.close_reason is not None else "unconfirmed"
    turns = sum(1 for t in view.turns if t.speaker == "assistant" and t.closed)
    return f"session usage: {turns} assistant turn(s) · {seconds} ({confirmed})"


class LiveLines:
    """GPT-Live as the line face reads it (:class:`~voicechat.lines.family.LineFamily`)."""

    start_fix = False  # the TUI's problem advice is worded for Realtime's endpoints and keys

    def __init__(self, settings: Settings, *, earlier: Any = None) -> None:
        self.runtime = LiveRuntime(settings, earlier=earlier)

    def end_watch(self, turns: int | None) -> LiveRunEnd:
        return LiveRunEnd(self.runtime, turns)

    def stdin_lines(self, turns: int | None) -> StdinLines:
        """Stdin's lines wait for an answer turn, or give up after a while
        (:mod:`voicechat.lines.live_pacing`)."""
        return LiveStdinLines(self.runtime, turns=turns)

    def usage_after(self, response_id: Any) -> str | None:
        return None  # GPT-Live has no responses: its usage is the session's, said at the end

    def usage_summary(self) -> str:
        return usage_line(self.runtime)
