"""One interruption of an answer, timed from its onset to the barge-in (sans-IO).

:class:`~voicechat.latency.timeline.TurnTimeline` follows the whole stream; this part of it
follows an interruption alone: where it began (the local detector's pause less the speech it
had counted, else the server's ``speech_started``), when the speaker paused, when the first
barge-in action went out, and whether the server's ``response.done`` said ``cancelled``. The
timeline tells it what the stream shows; it hands out a :class:`BargeIn` when one is complete.
"""

from __future__ import annotations

from typing import Any

from voicechat.latency.model import BargeIn
from voicechat.latency.report import ms_after, span_ms
from voicechat.latency.turn_state import Interruption


class BargeTiming:
    """The interruption under way, if any, and what completes it."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Interruption | None = None

    def __repr__(self) -> str:  # (the doctor's tests compare states fed two ways)
        return f"BargeTiming({self.current!r})"

    def server_onset(self, now: float, answering: str | None) -> None:
        """The server heard speech: over an answer being generated or sounding, the onset of
        an interruption (unless the local detector already timed it)."""
        if answering is None or self.current is not None:
            return
        self.current = Interruption(answering, now, "server")

    def local_paused(self, now: float, speech_ms: Any, answering: str | None) -> None:
        """The local detector paused the speaker, ``speech_ms`` into the person's speech:
        the onset is that much earlier (and earlier than the server's, if that came first)."""
        counted = speech_ms / 1000.0 if span_ms(speech_ms) else 0.0
        barge = self.current
        if barge is not None and barge.action is not None:
            return
        onset = now - counted
        if barge is None or onset < barge.onset:
            barge = self.current = Interruption(answering, onset, "local")
        barge.paused = now

    def local_resumed(self) -> None:
        """The local detector resumed the speaker: its pause was no interruption."""
        barge = self.current
        if barge is not None and barge.action is None and barge.onset_from == "local":
            self.current = None

    def action(self, now: float, generating: bool, out: list[Any]) -> None:
        """A barge-in action went out (cancel, clear or truncate): complete, unless a response
        is still being generated, whose ``response.done`` may yet say it was cancelled."""
        barge = self.current
        if barge is not None and barge.action is None:
            barge.action = now
            barge.wait_for_done = generating
            if not generating:
                self.flush(out)

    def response_done(self, now: float, status: Any, out: list[Any]) -> None:
        barge = self.current
        if barge is not None and barge.action is not None and barge.wait_for_done:
            self.flush(out, cancelled=now if status == "cancelled" else None)
        elif (barge is not None and barge.action is None and status == "cancelled"
              and barge.onset_from == "server"):
            # the server cancelled on its own VAD (interrupt_response): that is the barge-in
            self.flush(out, cancelled=now)

    def flush(self, out: list[Any], cancelled: float | None = None) -> None:
        """Hand out the interruption under way if a barge-in completed it; forget it."""
        barge = self.current
        self.current = None
        if barge is None or (barge.action is None and cancelled is None):
            return
        def since(moment: float | None) -> float | None:
            return None if moment is None else ms_after(moment, barge.onset)
        out.append(BargeIn(barge.response_id, barge.onset,
                           "local" if barge.onset_from == "local" else "server",
                           paused_ms=since(barge.paused), action_ms=since(barge.action),
                           cancelled_ms=since(cancelled)))
