"""A Gemini Live conversation in the line face (``voicechat --no-ui`` with Gemini): when its
run is finished, how piped lines wait for its answers, and its usage line.

Gemini has no ``response.done``: a turn is over at ``serverContent.turnComplete`` (after every
tool call of the turn was answered, since the model waits for them). So ``--turns N`` counts
the turns the model completed once nothing is playing, a piped line is sent when the previous
one's turn completed (one per answer, as for the other families), and at the end of
``--mic FILE`` the run ends once nothing was said or played for :data:`QUIET_AFTER_MIC_END_S`.

How the run's end is watched is GPT-Live's too (:mod:`voicechat.lines.duplex`); what ends
Gemini's session, its turns and its usage are here.

The entry point for a command is :func:`gemini_lines`: it takes the resolved settings (where,
the key, model, voice, instructions; tools come from the settings' tool sources).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.lines.duplex import DuplexLines, DuplexRunEnd
from voicechat.lines.frame import Ending
from voicechat.lines.stdin import StdinLines
from voicechat.protocol.gemini import names, spelling
from voicechat.runtime.gemini import GeminiRuntime, GeminiTarget


def completes_turn(event: Mapping[str, Any]) -> bool:
    """A recorded server frame that ends the model's turn (``serverContent.turnComplete``)."""
    content = spelling.get(event, names.SERVER_CONTENT)
    return isinstance(content, Mapping) and spelling.get(content, names.TURN_COMPLETE) is True


class GeminiRunEnd(DuplexRunEnd[GeminiRuntime]):
    """Decides when a headless Gemini run is finished."""

    counted = "model"

    def _seen(self, record: LogRecord) -> None:
        if record.dir == "in" and spelling.get(record.event, names.SERVER_CONTENT) is not None:
            self._last_activity = time.monotonic()

    def turns_done(self) -> int:
        return self._runtime.gemini_view.turns_completed

    def idle(self) -> bool:
        view = self._runtime.gemini_view
        return not self._runtime.speaking and not view.turn_open and not view.pending_tools

    def _session_ending(self) -> Ending | None:
        view = self._runtime.gemini_view
        if view.state == "failed":
            return Ending("error", f"the session ended ({view.close_reason or 'failed'})", 1)
        return None


class GeminiStdinLines(StdinLines):
    """Piped lines, the next one sent when the model completed its turn for the previous."""

    def _on_record(self, record: Any) -> None:
        if record.dir != "in" or not completes_turn(record.event):
            return
        if self._awaiting:
            self.answered += 1
            self._awaiting = False
            asyncio.get_running_loop().call_soon(self._next)


def usage_line(runtime: GeminiRuntime) -> str:
    view = runtime.gemini_view
    resumed = f", resumed {view.reconnects} time(s)" if view.reconnects else ""
    return (f"session usage: {view.turns_completed} model turn(s) · {view.total_tokens} tokens "
            f"over {view.connections} connection(s){resumed}")


class GeminiLines(DuplexLines[GeminiRuntime]):
    """Gemini Live as the line face reads it (:class:`~voicechat.lines.family.LineFamily`)."""

    def __init__(self, settings: Settings, target: GeminiTarget) -> None:
        self.runtime = GeminiRuntime(settings, target)

    def end_watch(self, turns: int | None) -> GeminiRunEnd:
        return GeminiRunEnd(self.runtime, turns)

    def stdin_lines(self, turns: int | None) -> StdinLines:
        return GeminiStdinLines(self.runtime, turns=turns)

    def usage_summary(self) -> str:
        return usage_line(self.runtime)


def gemini_lines(settings: Settings, target: GeminiTarget) -> GeminiLines:
    """The one entry point of the Gemini family's line face (``--provider gemini`` calls it
    with the resolved target)."""
    return GeminiLines(settings, target)
