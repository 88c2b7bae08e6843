"""The assistant's audio as it was received and as it was really played.

GPT-Live streams output audio continuously, silence included, and sends no end-of-speech,
truncate or clear event: the client must know by itself what the user heard. Three cumulative
figures, on the output stream's own timeline (milliseconds of audio):

* ``received_ms``: what ``session.output_audio.delta`` brought (WebSocket), or what the runtime
  reports reached the player from the remote track (WebRTC, ``OutputArrived``); ``None`` over
  WebRTC until the first report;
* ``played_ms``: what the runtime reports reached the speaker (:class:`PlaybackProgress`);
* ``dropped_ms``: what the player dropped from its queue (:class:`PlaybackFlushed`).

The player is a FIFO, so every millisecond ever taken off its queue was either played or
dropped, in stream order: the stream position at the speaker is ``played_ms + dropped_ms``, and
the played stretches are exact spans of the stream (:attr:`OutputAudio.heard_spans`). The
invariants (checked by the property tests): ``played_ms`` never decreases; on WebSocket
``played_ms + dropped_ms <= received_ms`` once arrivals are counted (a report past what arrived
is clamped); the spans are
ordered, disjoint, and add up to ``played_ms``.

[infer] The stream starts with the session and never pauses, so a stream position is also a
session-timeline position, which is what the transcript's ``start_ms`` are on: that maps the
played spans onto the assistant's words (sideband deltas carry ``start_ms``/``end_ms`` that
would confirm it; the primary WebSocket's do not, per the SDK's ``OutputAudioDeltaEvent``).
"""

from __future__ import annotations

import bisect

MAX_SPANS = 512


class OutputAudio:
    """Received / played / dropped bookkeeping and the speech-run tracking for interruptions."""

    def __init__(self, *, websocket: bool) -> None:
        self.received_ms: float | None = 0.0 if websocket else None
        self.played_ms = 0.0
        self.dropped_ms = 0.0
        self.audible = False
        self.clamped = False
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._trimmed_ms = 0.0  # played time of spans dropped off the front (MAX_SPANS)
        self.speech_in_stream = False  # the last non-empty delta carried speech

    @property
    def cursor_ms(self) -> float:
        """The stream position at the speaker: everything before it was played or dropped."""
        return self.played_ms + self.dropped_ms

    @property
    def queued_ms(self) -> float | None:
        """Audio received and not yet played or dropped (``None`` over WebRTC)."""
        if self.received_ms is None:
            return None
        return max(0.0, self.received_ms - self.cursor_ms)

    @property
    def heard_spans(self) -> tuple[tuple[float, float], ...]:
        return tuple(zip(self._starts, self._ends, strict=True))

    @property
    def spans_total_ms(self) -> float:
        return self._trimmed_ms + sum(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def received(self, ms: float, silent: bool) -> bool:
        """Count one delta; whether it ends a run of speech (the model went quiet)."""
        # WebRTC: counted from the first reported arrival, from where the player stands then
        # (the runtime reports every frame before the player can play it, so this is 0 there)
        if self.received_ms is None:
            self.received_ms = self.cursor_ms
        self.received_ms += ms
        ended = self.speech_in_stream and silent
        if ms > 0:
            self.speech_in_stream = not silent
        return ended

    def progress(self, played_ms: float, audible: bool) -> None:
        """A playback report; a regression is ignored, an overshoot clamped (noted once)."""
        self.audible = audible
        target = played_ms
        if self.received_ms is not None and target + self.dropped_ms > self.received_ms:
            target = self.received_ms - self.dropped_ms
            self.clamped = True
        if target <= self.played_ms:
            return
        start = self.cursor_ms
        step = target - self.played_ms
        self.played_ms = target
        if self._ends and self._ends[-1] == start:
            self._ends[-1] = start + step
        else:
            self._starts.append(start)
            self._ends.append(start + step)
            if len(self._starts) > MAX_SPANS:
                self._trimmed_ms += self._ends.pop(0) - self._starts.pop(0)

    def flushed(self, dropped_ms: float) -> None:
        """The player dropped its queue; never more than was queued (WebSocket)."""
        if dropped_ms <= 0:
            return
        queued = self.queued_ms
        self.dropped_ms += dropped_ms if queued is None else min(dropped_ms, queued)
        self.audible = False

    def heard(self, position_ms: float) -> bool:
        """Whether the stream position was played (not dropped, not still queued)."""
        index = bisect.bisect_right(self._starts, position_ms) - 1
        return index >= 0 and position_ms < self._ends[index]
