"""When the model stopped for the user: nothing on the wire says so, so it is read from the
output stream's speech/silence edges and the two transcripts' session timeline.

Two orders of evidence, both transports (WebSocket deltas, or the remote track's decoded
frames over WebRTC, :class:`~voicechat.core.live.OutputArrived`):

* *words, then quiet*: the user's words reached the transcript, then the output turns to
  silence within :data:`INTERRUPT_WINDOW_S` while audio is still queued at our player. [infer]
  a barge-in stops the model within about a second of the user's words reaching the
  transcript, while a backchannel earlier in the answer is older than that when the answer
  ends on its own. The user's words must reach past where the answer began on the session
  timeline (a late transcript of words said *before* the answer is no barge-in at a word gap).
* *quiet, then words*: the model went quiet first and the user's transcript comes later (a
  recogniser that transcribes per utterance, as the local server's does: the model yields when
  the user has talked for a moment, the words arrive once they stop). The words count when,
  on the session timeline, they began before the answer's last word ended and ended after it
  began (they overlap the answer: the user talked over it, not after it), the output has stayed
  silent since it went quiet, for at least :data:`MIN_QUIET_S` (longer than a pause between
  words or sentences, so a backchannel that lands in such a pause is not taken for a yield),
  and it went quiet at most :data:`YIELD_LOOKBACK_S` before the words arrived. [infer] the
  figures: the local server's transcript arrives 1.5 to 2 s after it went quiet.

Each quiet is judged once: after a yield the watch waits for the next run of speech.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERRUPT_WINDOW_S = 1.5
MIN_QUIET_S = 0.5
YIELD_LOOKBACK_S = 3.0


@dataclass
class _Quiet:
    """The output stream went quiet after speech: when, and the answer's span then."""

    at: float
    answer_began_ms: int | None
    answer_end_ms: int | None
    words_waiting: bool = False  # user words that overlap the answer came in too soon


class YieldWatch:
    """Fed the output stream's chunks and both transcripts' fragments; says when to flush."""

    def __init__(self, separation_ms: int) -> None:
        self._separation_ms = separation_ms
        self._user_spoke_at: float | None = None
        self._user_end_ms: int | None = None  # session timeline: the user's latest words
        self._speech_began_at: float | None = None
        self._answer_began_ms: int | None = None  # session timeline: this answer's first word
        self._answer_end_ms: int | None = None
        self._quiet: _Quiet | None = None

    def assistant_words(self, start_ms: int, end_ms: int) -> None:
        last = self._answer_end_ms
        if last is None or start_ms - last > self._separation_ms:
            self._answer_began_ms = start_ms
        self._answer_end_ms = end_ms

    def user_words(self, start_ms: int, end_ms: int, now: float) -> bool:
        """A user fragment arrived; ``True`` when it shows the model already yielded."""
        self._user_spoke_at = now
        self._user_end_ms = end_ms
        quiet = self._quiet
        if quiet is None or now - quiet.at > YIELD_LOOKBACK_S:
            return False
        began, ended = quiet.answer_began_ms, quiet.answer_end_ms
        if began is None or ended is None or not (start_ms < ended and end_ms > began):
            return False
        if now - quiet.at >= MIN_QUIET_S:
            self._quiet = None
            return True
        quiet.words_waiting = True  # judged at deadline(), if the quiet lasts
        return False

    def chunk(self, ended_speech: bool, silent: bool, ms: float, now: float,
              queued_ms: float) -> bool:
        """A stretch of output; ``True`` when it shows the model yielding (words, then quiet)."""
        yielded = False
        if ended_speech:
            spoke, began = self._user_spoke_at, self._speech_began_at
            spoke_during = (self._user_end_ms is None or self._answer_began_ms is None
                            or self._user_end_ms > self._answer_began_ms)
            yielded = (spoke is not None and (began is None or spoke >= began) and spoke_during
                       and now - spoke <= INTERRUPT_WINDOW_S and queued_ms > 0)
            self._quiet = None if yielded else _Quiet(now, self._answer_began_ms,
                                                      self._answer_end_ms)
        elif not silent and ms > 0:
            self._quiet = None  # speech again: that quiet was a pause
            if self._speech_began_at is None:
                self._speech_began_at = now
        if silent:
            self._speech_began_at = None
        return yielded

    def deadline(self) -> float | None:
        quiet = self._quiet
        return quiet.at + MIN_QUIET_S if quiet is not None and quiet.words_waiting else None

    def expire(self, now: float) -> bool:
        """The timer: ``True`` when words that came in too soon have now seen the quiet last."""
        quiet = self._quiet
        if quiet is None or not quiet.words_waiting or now < quiet.at + MIN_QUIET_S:
            return False
        self._quiet = None
        return True
