"""``voicechat --no-ui``: the conversation as printed lines, and when such a run is finished.

Lines: the event flow as readable lines for scripts, CI and anyone without the TUI. Decision:
audio payload events (``input_audio_buffer.append``, audio deltas) and streaming text deltas are
not printed (dozens per second would drown the lines that matter); the finished transcripts are.
Notices are printed whole: their fix is at the end. Everything from the wire has its control
characters shown as escapes. Lines on stdin are sent as text messages (typed at a terminal, or
piped, one per turn: :mod:`voicechat.commands.stdin_lines`).

Finished: a headless run has no user to press quit, so :class:`RunEnd` decides: after ``--turns
N`` completed responses once everything is quiet, or at the end of ``--mic FILE`` once the reply
has played and the server has said nothing for a while. A TUI run ends when the user quits, so
this is the headless command's business, not the runtime's: it reads the session view, the
playback buffer and the event stream the runtime publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from voicechat.commands.headless_run import (
    Ending,
    EndWatch,
    run_until_finished,
    start_or_say_why,
)
from voicechat.config import Settings
from voicechat.core import MicReason
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer
from voicechat.eventlog.summary import QUIET_TYPES, summarize
from voicechat.protocol.pricing import cost_text, tokens_line
from voicechat.protocol.text import printable
from voicechat.rtc.pacer import pacer_for
from voicechat.runtime import Runtime

ARROWS = {"in": "<-", "out": "->", "local": "::"}
PENDING_TOOL_STATES = frozenset({"streaming", "awaiting_approval", "running"})
QUIET_AFTER_MIC_END_S = 2.5
CHECK_EVERY_S = 0.05


class RunEnd(EndWatch):
    """Decides when a headless run is finished (``--turns N``, or the end of ``--mic FILE``)."""

    def __init__(
        self, runtime: Runtime, turns: int | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(runtime)
        self._runtime = runtime
        self._turns = turns
        self._clock = clock
        self._last_server_event = clock()
        runtime.subscribe(self._seen)

    def _seen(self, record: LogRecord) -> None:
        if record.dir == "in":
            self._last_server_event = self._clock()

    def idle(self) -> bool:
        """Nothing is answering or playing, and the mic does not wait for playback to end."""
        view = self._runtime.view
        return (
            not view.response_active
            and not view.server_playing
            and not self._runtime.playback.snapshot().playing
            # the core has reopened the mic after playback (or keeps it shut for another
            # reason: push-to-talk, the user's mute, no device)
            and (view.mic_open or view.mic_reason is not MicReason.PLAYBACK)
            # no tool call runs or waits for the user: its reply is still to come
            and not any(c.status in PENDING_TOOL_STATES for c in view.tool_calls)
        )

    def check(self) -> Ending | None:
        """The ending if the run is over now, else ``None``."""
        runtime, turns = self._runtime, self._turns
        done = runtime.completed_responses
        if turns is not None and done >= turns and self.idle():
            return Ending("info", f"{done} response(s) completed")
        mic = runtime.mic
        if (
            runtime.mic_ended
            and mic is not None
            and mic.kind == "file"
            and self.idle()
            and self._clock() - self._last_server_event > QUIET_AFTER_MIC_END_S
        ):
            if turns is not None and done < turns:
                return Ending(
                    "error", f"the mic file ended after {done} of {turns} completed response(s)", 1
                )
            return Ending("info", "end of the mic file and of the reply")
        return None

    async def _pause(self) -> None:
        # on the shared 20 ms grid, where a file mic or speaker already wakes the loop
        loop = asyncio.get_running_loop()
        await pacer_for(loop).wait(loop.time() + CHECK_EVERY_S)


def format_record(record: Any, summarizer: Summarizer | None = None) -> str | None:
    """One readable line per record, or ``None`` for the high-rate events we do not print.

    ``summarizer``: the run's memory across events, so a tool output says which tool it
    answers and how long the answer took (without one, each line stands alone).
    """
    event = record.event
    kind = str(event.get("type", "?"))
    if kind in QUIET_TYPES:
        return None
    if kind == "local.notice":  # whole: the fix is at the end of the message
        text = f"notice {event.get('level', 'info')}: {event.get('message', '')}"
    elif summarizer is not None:
        text = summarizer.summarize(record)
    else:
        text = summarize(event)
    return f"{record.t:8.2f} {ARROWS.get(record.dir, '  ')} {printable(text)}"


def usage_line(runtime: Runtime, response_id: Any) -> str | None:
    """After a ``response.done``: that response's tokens and cost, and the session's so far
    (``None`` when that response reported no usage)."""
    usage = runtime.view.usage
    last = usage.last
    if last is None or last.response_id != response_id:
        return None
    return (f"      :: usage {last.response_id or ''}: {tokens_line(last.tokens)} · "
            f"{cost_text(last.cost_usd)}; session {cost_text(usage.cost_usd)}")


def usage_summary(runtime: Runtime) -> str:
    """The session's usage at exit: responses, tokens by kind, the estimated cost and its basis."""
    usage = runtime.view.usage
    cost = cost_text(usage.cost_usd)
    basis = f" ({usage.label}, model {usage.model})" if usage.cost_usd is not None else ""
    return (f"session usage: {usage.responses} response(s) · {tokens_line(usage.total)} · "
            f"{cost}{basis}")


async def run_headless(settings: Settings, out: TextIO | None = None, *,
                       earlier: Any = None) -> int:
    """Run one conversation printing lines; returns the exit code. ``earlier``: the
    conversation ``--resume`` continues, already read (else read from the settings)."""
    stream = out if out is not None else sys.stdout
    runtime = Runtime(settings, earlier=earlier)
    end = RunEnd(runtime, settings.turns)
    summarizer = Summarizer()

    def show(record: LogRecord) -> None:
        line = format_record(record, summarizer)
        if line is None:
            return
        if record.dir == "in" and record.event.get("type") == "response.done":
            # the core takes the event in right after this record: read its usage then
            response = record.event.get("response")
            rid = response.get("id") if isinstance(response, dict) else None
            asyncio.get_running_loop().call_soon(say_usage, rid)
        say(line)

    def say_usage(rid: Any) -> None:
        line = usage_line(runtime, rid)
        if line is not None:
            with contextlib.suppress(BrokenPipeError):
                say(line)

    def say(line: str) -> None:
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:
            # the reader went away (`voicechat --no-ui | head`): stop quietly, like any filter
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            runtime.finished.set()
            raise

    runtime.subscribe(show)
    if not await start_or_say_why(runtime, with_fix=True):
        return 1
    from voicechat.commands.stdin_lines import StdinLines
    from voicechat.commands.tool_prompt import TerminalApproval

    approval = TerminalApproval(runtime, say) if sys.stdin.isatty() else None
    if approval is not None:
        runtime.set_tool_prompt(approval.ask)
    lines = StdinLines(runtime, turns=settings.turns,
                       intercept=approval.take_line if approval is not None else None)
    return await run_until_finished(runtime, end, lines, stream=stream,
                                    usage=lambda: usage_summary(runtime), name="headless-end")
