"""Piped lines on stdin for ``voicechat --api live --no-ui``: one line per answer.

``printf 'hello\\nand then?\\n' | voicechat --api live --no-ui`` does what it does for Realtime
(:mod:`voicechat.lines.stdin`): each line goes in as the user's typed words, the next
one when the model has answered the previous one, and the run ends after the last answer.

What differs is what "sent" and "answered" mean. GPT-Live's voice model takes no text turn, so
a line goes in as a terminal's typed line does (``LiveRuntime.send_text``: an instructions
append "The user typed: …"). There is no ``response.done``; an answer is an assistant turn that
started after the append was taken in (``session.instructions.appended``'s ``start_ms``, on the
same session timeline as the transcript) and that the core has closed (``local.live.turn``).

An instructions append steers the model; whether it speaks is its choice (reference §2), so a
line is not waited on for ever: when the assistant has said nothing for :data:`ANSWER_WAIT_S`
after the append (not speaking, no answer turn open) the line counts as unanswered, a notice
says so, and the next line goes. An ``error`` for the append also moves on. ``--turns N``
checks, at the end of the input, that N lines were answered (exit code 1 if not), as for
Realtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from voicechat.lines.stdin import LinesHandle, StdinLines

ANSWER_WAIT_S = 10.0
CHECK_EVERY_S = 0.1


class AnswerPacedHandle(LinesHandle, Protocol):
    """What pacing lines by answers reads besides :class:`LinesHandle` (``LiveRuntime``)."""

    @property
    def speaking(self) -> bool:
        """The assistant is audible at our speaker now (an answer under way)."""

    def notice(self, level: str, message: str) -> None:
        """Say something in the event stream (a line given up on)."""


class LiveStdinLines(StdinLines):
    """:class:`StdinLines` paced by GPT-Live's answer turns (see the module docstring)."""

    handle: AnswerPacedHandle

    def __init__(self, handle: AnswerPacedHandle, *, turns: int | None,
                 stream: TextIO | None = None, err: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 answer_wait_s: float = ANSWER_WAIT_S) -> None:
        super().__init__(handle, turns=turns, stream=stream, err=err)
        self._clock = clock
        self._answer_wait_s = answer_wait_s
        self._sent_at = 0.0
        self._heard_at = 0.0  # the assistant's latest sign of an answer (speech, a fragment)
        self._appended_ms: int | None = None  # the append's start on the session timeline
        self._watch: asyncio.Task[None] | None = None
        self.unanswered = 0

    def start(self) -> None:
        super().start()
        if self._unsubscribe is not None and not self._interactive:
            self._watch = asyncio.get_running_loop().create_task(self._watch_answer(),
                                                                 name="live-stdin-pace")

    def _at_eof(self) -> None:
        # at a terminal the watch starts at Ctrl+D: the last typed line's answer may never come
        if self._interactive and self._watch is None and self._unsubscribe is not None:
            self._watch = asyncio.get_running_loop().create_task(self._watch_answer(),
                                                                 name="live-stdin-pace")
        super()._at_eof()

    def stop(self) -> None:
        super().stop()
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _send(self, text: str) -> bool:
        sent = super()._send(text)
        if sent:
            self._sent_at = self._heard_at = self._clock()
            self._appended_ms = None
        return sent

    def _on_record(self, record: Any) -> None:
        if not self._awaiting:
            return
        event = record.event
        kind = event.get("type")
        if record.dir == "in" and kind == "session.instructions.appended":
            start = event.get("start_ms")
            if self._appended_ms is None and isinstance(start, int):
                self._appended_ms = start
        elif record.dir == "in" and kind == "session.output_transcript.delta":
            self._heard_at = self._clock()
        elif record.dir == "in" and kind == "error":
            self._answered(counted=False)
        elif kind == "local.live.turn" and event.get("speaker") == "assistant":
            start = event.get("start_ms")
            if (self._appended_ms is not None and isinstance(start, int)
                    and start >= self._appended_ms):
                self._answered(counted=True)

    def _answered(self, *, counted: bool) -> None:
        if counted:
            self.answered += 1
        self._awaiting = False
        self._next()

    async def _watch_answer(self) -> None:
        """Give up on a line the model has not answered within the wait."""
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            if not self._awaiting:
                continue
            now = self._clock()
            if self.handle.speaking:
                self._heard_at = now
            if now - self._heard_at > self._answer_wait_s:
                self.unanswered += 1
                then = "; sending the next line" if self._lines else ""
                self.handle.notice("warning", f"no answer to line {self.sent} within "
                                              f"{self._answer_wait_s:g} s: the model chose "
                                              f"not to speak{then}")
                self._answered(counted=False)

    def _maybe_finish(self) -> None:
        super()._maybe_finish()
        if self.done and self._watch is not None:
            with contextlib.suppress(RuntimeError):
                self._watch.cancel()
