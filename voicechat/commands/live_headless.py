"""``voicechat --api live --no-ui``: a GPT-Live conversation as printed lines.

The same line format as the Realtime run (:func:`voicechat.commands.headless.format_record`),
with GPT-Live's own high-rate events kept quiet (audio both ways, transcript fragments) and each
finished turn printed instead (``local.live.turn``: the runtime groups the fragments).

When it is finished: GPT-Live has no ``response.done``, so ``--turns N`` counts the assistant's
turns as the core closed them (a turn closes after a gap in its transcript) once the assistant
is no longer audible at our speaker. At the end of ``--mic FILE`` the mic goes on streaming
silence (full duplex), and the run ends once nothing was said or played for
:data:`QUIET_AFTER_MIC_END_S`. Typed lines from a terminal become instruction appends as they
are typed; piped lines go in the same way, one per answer, and the run ends after the last
answer (:mod:`voicechat.commands.live_stdin`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from voicechat.commands.headless import format_record
from voicechat.commands.headless_run import (
    Ending,
    EndWatch,
    run_until_finished,
    start_or_say_why,
)
from voicechat.commands.stdin_lines import StdinLines
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer
from voicechat.protocol.text import printable
from voicechat.runtime.live import LiveRuntime

QUIET_LIVE = frozenset({"session.input_audio.append", "session.output_audio.delta",
                        "session.input_transcript.delta", "session.output_transcript.delta"})
QUIET_AFTER_MIC_END_S = 4.0
CHECK_EVERY_S = 0.1


class LiveRunEnd(EndWatch):
    """Decides when a headless GPT-Live run is finished."""

    def __init__(self, runtime: LiveRuntime, turns: int | None) -> None:
        super().__init__(runtime)
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


def format_live_record(record: LogRecord, summarizer: Summarizer) -> str | None:
    event = record.event
    kind = event.get("type")
    if kind in QUIET_LIVE:
        return None
    if kind == "local.live.turn":
        cut = " (interrupted)" if event.get("interrupted") else ""
        text = f"{event.get('speaker')}{cut}: {event.get('text', '')!r}"
        return f"{record.t:8.2f} :: {printable(text)}"
    if kind == "local.live.interrupted":  # a turn printed whole, found cut afterwards
        text = f"{event.get('speaker')} was interrupted; heard: {event.get('heard', '')!r}"
        return f"{record.t:8.2f} :: {printable(text)}"
    return format_record(record, summarizer)


def usage_line(runtime: LiveRuntime) -> str:
    view = runtime.live_view
    seconds = "unknown" if view.usage_seconds is None else f"{view.usage_seconds:g} s"
    confirmed = "confirmed by session.closed" if view.state == "closed" and \
        view.close_reason is not None else "unconfirmed"
    turns = sum(1 for t in view.turns if t.speaker == "assistant" and t.closed)
    return f"session usage: {turns} assistant turn(s) · {seconds} ({confirmed})"


async def run_live_headless(settings: Settings, out: TextIO | None = None) -> int:
    """Run one GPT-Live conversation printing lines; returns the exit code."""
    stream = out if out is not None else sys.stdout
    runtime = LiveRuntime(settings)
    end = LiveRunEnd(runtime, settings.turns)
    summarizer = Summarizer()

    def say(line: str) -> None:
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:
            runtime.finished.set()

    def show(record: LogRecord) -> None:
        line = format_live_record(record, summarizer)
        if line is not None:
            say(line)

    runtime.subscribe(show)
    if not await start_or_say_why(runtime, with_fix=False):
        return 1
    lines: StdinLines
    if sys.stdin.isatty():
        from voicechat.commands.tool_prompt import TerminalApproval

        approval = TerminalApproval(runtime, say)
        runtime.set_tool_prompt(approval.ask)
        lines = StdinLines(runtime, turns=None, intercept=approval.take_line)
    else:
        from voicechat.commands.live_stdin import LiveStdinLines

        lines = LiveStdinLines(runtime, turns=settings.turns)
    return await run_until_finished(runtime, end, lines, stream=stream,
                                    usage=lambda: usage_line(runtime), name="live-headless-end")
