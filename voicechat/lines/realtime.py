"""A Realtime conversation in the line face (``voicechat --no-ui``): when its run is finished,
its usage lines, and how piped lines wait for its answers.

Finished: a headless run has no user to press quit, so :class:`RunEnd` decides: after ``--turns
N`` completed responses once everything is quiet, or at the end of ``--mic FILE`` once the reply
has played and the server has said nothing for a while. A TUI run ends when the user quits, so
this is the line face's business, not the runtime's: it reads the session view, the
playback buffer and the event stream the runtime publishes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from voicechat.config import Settings
from voicechat.core import MicReason
from voicechat.eventlog.record import LogRecord
from voicechat.lines.frame import Ending, EndWatch
from voicechat.lines.stdin import StdinLines
from voicechat.protocol.pricing import cost_text, tokens_line
from voicechat.protocol.providers import minutes_cost_usd
from voicechat.rtc.pacer import pacer_for
from voicechat.runtime import Runtime

PENDING_TOOL_STATES = frozenset({"streaming", "awaiting_approval", "running"})
QUIET_AFTER_MIC_END_S = 2.5
CHECK_EVERY_S = 0.05


class RunEnd(EndWatch):
    """Decides when a headless run is finished (``--turns N``, or the end of ``--mic FILE``)."""

    def __init__(
        self, runtime: Runtime, turns: int | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(runtime, turns)
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

    def turns_done(self) -> int:
        return self._runtime.completed_responses

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


def usage_line(runtime: Runtime, response_id: Any) -> str | None:
    """After a ``response.done``: that response's tokens and cost, and the session's so far
    (``None`` when that response reported no usage)."""
    usage = runtime.view.usage
    last = usage.last
    if last is None or last.response_id != response_id:
        return None
    return (f"      :: usage {last.response_id or ''}: {tokens_line(last.tokens)} · "
            f"{cost_text(last.cost_usd)}; session {cost_text(usage.cost_usd)}")


def connected_text(seconds: float) -> str:
    """How long a run was connected, as a per-minute bill reads it: seconds under a minute
    ("0.0 min" priced at $0.0010 read as a mistake)."""
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def usage_summary(runtime: Runtime, seconds: float | None = None) -> str:
    """The session's usage at exit: responses, tokens by kind, the estimated cost and its basis.

    A provider that bills by the minute (xAI) reports no tokens (``usage`` null or empty, which
    is normal there, not a failure): the cost is then its per-minute price times ``seconds``,
    the run's length."""
    profile = runtime.settings.profile
    if profile.capabilities.usage == "minutes" and seconds is not None:
        # the run's whole length (the core's minutes stop at the last response.done)
        usd = minutes_cost_usd(profile, seconds)
        rate = profile.price_per_minute_usd
        cost = cost_text(None) if usd is None else (
            f"~${usd:.4f} (estimate: {connected_text(seconds)} at ${rate:g}/min, "
            f"{profile.title} bills per minute)")
        return (f"session usage: {runtime.view.usage.responses} response(s) · no token counts "
                f"({profile.title} reports none) · {cost}")
    usage = runtime.view.usage
    if not usage.responses and not usage.total.total:
        # nothing was used: no tokens to show, and "cost unknown" would read as a problem
        return "session usage: none (no response completed)"
    if usage.cost_usd is None:
        cost = cost_text(None)
    else:  # the label says "estimate" already: ``~$0.0038 (estimate, list prices of …)``
        cost = f"~${usage.cost_usd:.4f} ({usage.label}, model {usage.model})"
    return f"session usage: {usage.responses} response(s) · {tokens_line(usage.total)} · {cost}"


class RealtimeLines:
    """The Realtime family as the line face reads it
    (:class:`~voicechat.lines.family.LineFamily`)."""

    start_fix = True  # the TUI's advice for an auth or connection failure applies

    def __init__(self, settings: Settings, *, earlier: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.runtime = Runtime(settings, earlier=earlier)
        self._clock = clock
        self._began = clock()  # a per-minute price bills the run's length

    def end_watch(self, turns: int | None) -> RunEnd:
        return RunEnd(self.runtime, turns)

    def stdin_lines(self, turns: int | None) -> StdinLines:
        """Stdin's lines wait for each ``response.done`` (:mod:`voicechat.lines.stdin`)."""
        return StdinLines(self.runtime, turns=turns)

    def usage_after(self, response_id: Any) -> str | None:
        return usage_line(self.runtime, response_id)

    def usage_summary(self) -> str:
        return usage_summary(self.runtime, self._clock() - self._began)
