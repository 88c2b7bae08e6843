"""The runner's mic and speaker: a scripted mouth and a virtual ear, both on real-time clocks.

A voice agent is tested with no sound card (issue 52): :class:`ScriptedMic` is the mic the
runtime streams, silence until the runner hands it an utterance, which it then plays frame by
frame on the shared 20 ms grid (so the server hears speech at the pace a person speaks it, and
its VAD times the pauses as it would a person's). :class:`VirtualSpeaker` drains the runtime's
playback buffer on the same grid, as a sound card would, and notes when audio starts and stops
sounding: an interruption is started on that clock (``interrupt_after_ms`` after the answer's
first audible frame), and ``stop_ms`` is read from it (the answer's last audible frame after the
onset).

Both keep what they played when asked (``--keep``): the user's side and the assistant's side as
they sounded, for the WAV files a failing run leaves behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import numpy as np

from voicechat.audio.files import FRAME, PacedSink
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import SourceKind
from voicechat.rtc.pacer import TICK_S, pacer_for

#: a frame whose peak is under this is silence (espeak's and a recording's leading and trailing
#: quiet, and the zeros a drained buffer reads)
AUDIBLE_PEAK = 64


@dataclass(frozen=True)
class Spoken:
    """When an utterance sounded, on the event loop's clock (seconds)."""

    onset: float  # the first audible frame went to the mic pump
    end: float  # the last frame of the utterance did


class ScriptedMic:
    """A :class:`~voicechat.audio.ports.MicSource` that says what it is told, when told.

    ``kind`` is ``"file"``: it is not a sound device (so no echo canceller is started for it),
    and it never ends by itself (the runner closes it)."""

    kind: SourceKind = "file"

    def __init__(self, *, keep: bool = False) -> None:
        self.frames_per_wakeup = 1
        self._queue: list[tuple[Int16Array, asyncio.Future[Spoken]]] = []
        self._closed = False
        self._kept: list[Int16Array] | None = [] if keep else None

    def describe(self) -> str:
        return "voicechat test's scripted mic"

    def say(self, pcm: Int16Array) -> asyncio.Future[Spoken]:
        """Queue ``pcm`` (48 kHz mono int16) after whatever is being said; the future is set
        when its last frame has gone out."""
        done: asyncio.Future[Spoken] = asyncio.get_running_loop().create_future()
        self._queue.append((pcm, done))
        return done

    @property
    def speaking(self) -> bool:
        return bool(self._queue)

    async def frames(self) -> AsyncIterator[Int16Array]:
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        silence = np.zeros(FRAME, dtype=np.int16)
        due = pacer.tick_at_or_before(loop.time())
        at = 0  # the next sample of the utterance being said
        onset: float | None = None
        while not self._closed:
            due += TICK_S
            batch = max(1, self.frames_per_wakeup)
            if due > loop.time():
                await pacer.wait(due + (batch - 1) * TICK_S)
                if self._closed:
                    break
            if not self._queue:
                frame = silence
            else:
                pcm, done = self._queue[0]
                frame = pcm[at : at + FRAME]
                if frame.size < FRAME:
                    frame = np.concatenate([frame, np.zeros(FRAME - frame.size, np.int16)])
                at += FRAME
                if onset is None and int(np.abs(frame).max(initial=0)) >= AUDIBLE_PEAK:
                    onset = loop.time()
                if at >= pcm.size:
                    self._queue.pop(0)
                    now = loop.time()
                    if not done.done():
                        done.set_result(Spoken(onset if onset is not None else now, now))
                    at, onset = 0, None
            if self._kept is not None:
                self._kept.append(frame)
            yield frame

    def drop_ready(self) -> None:
        """Nothing is held between wake-ups beyond the current frame."""

    def close(self) -> None:
        self._closed = True
        for _, done in self._queue:
            if not done.done():
                done.cancel()

    def kept_audio(self) -> Int16Array:
        """Everything the mic sent, silence included (``keep=True``)."""
        return _joined(self._kept)


#: a silence shorter than this is inside one answer (a pause between sentences, an underrun
#: while the next chunk was late), not its end: the answer's span goes on. Silence, not an
#: empty buffer: GPT-Live streams its silences as audio
UNDERRUN_GAP_S = 0.6


class VirtualSpeaker(PacedSink):
    """Drains the playback buffer in real time and notes what sounded when.

    ``spans`` are the stretches of playback, each from its first audible frame to the first
    silent read after its last audible one (the buffer drained, or flushed by an
    interruption, or only silence queued) when the silence lasted :data:`UNDERRUN_GAP_S`,
    or at once when the buffer was flushed (a cut answer ends there, whatever follows it);
    as ``[start, stop]`` on the loop's clock, ``stop`` ``None`` while it plays. With ``keep``
    it ticks through silence too, so the kept audio is on the run's timeline.
    """

    kind = "null"

    def __init__(self, buffer: PlaybackBuffer, *, keep: bool = False,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__(buffer)
        self.ticks_when_silent = keep
        self.spans: list[list[float | None]] = []
        #: every audible frame that follows silence (or comes first): where each answer's
        #: audio starts, even one that starts within UNDERRUN_GAP_S of the last one's end
        #: (a typed turn answered 0.1 s after the runner's 0.4 s of quiet joins the previous
        #: span, and its first audio must still be found)
        self.onsets: list[float] = []
        self._audible = False  # the last frame written was audible
        self._gap_since: float | None = None  # the buffer ran dry then, inside the last span
        #: the buffer's flush count when the last span opened: a flush since then cut that
        #: answer, so the next audio starts a span of its own however soon it follows
        self._span_flushes = 0
        self._kept: list[Int16Array] | None = [] if keep else None
        self._clock = clock

    def describe(self) -> str:
        return "voicechat test's virtual speaker (real-time, no sound card)"

    async def start(self) -> None:
        if self._clock is None:
            self._clock = asyncio.get_running_loop().time
        await super().start()

    def now(self) -> float:
        return self._clock() if self._clock is not None else 0.0

    def write(self, frame: Int16Array) -> None:
        now = self.now()
        self._settle(now)
        audible = int(np.abs(frame).max(initial=0)) >= AUDIBLE_PEAK
        if audible and not self._audible:
            self.onsets.append(now)
        self._audible = audible
        if not audible:
            if self.spans and self.spans[-1][1] is None and self._gap_since is None:
                self._gap_since = now
        elif self.spans and self.spans[-1][1] is None and not self._cut_since_span():
            self._gap_since = None  # a pause inside the answer: it goes on
        else:
            if self.spans and self.spans[-1][1] is None:
                # the open answer was flushed (a barge-in) and the next one's audio came with
                # no silence between (with one, _settle closed it where the silence began).
                # Merged into the next answer, its stop would be that answer's end, or none at
                # all while the runner judged the turn within UNDERRUN_GAP_S of the drain
                self.spans[-1][1] = now
            self.spans.append([now, None])
            self._span_flushes = self.buffer.flushes
        if self._kept is not None:
            self._kept.append(frame)

    def _cut_since_span(self) -> bool:
        return self.buffer.flushes != self._span_flushes

    def _settle(self, now: float) -> None:
        """Close the last span once its gap has lasted :data:`UNDERRUN_GAP_S`, or at once if
        the buffer was flushed since it opened."""
        gap = self._gap_since
        if gap is not None and (now - gap >= UNDERRUN_GAP_S or self._cut_since_span()):
            self.spans[-1][1] = gap
            self._gap_since = None

    @property
    def playing(self) -> bool:
        self._settle(self.now())
        return bool(self.spans) and self.spans[-1][1] is None

    def first_audio_after(self, t: float) -> float | None:
        """The first audible frame at or after ``t`` that followed silence."""
        for onset in self.onsets:
            if onset >= t:
                return onset
        return None

    def stopped_after(self, t: float) -> float | None:
        """When the audio sounding at ``t`` (or the first to start after it) stopped; ``None``
        while it still plays or when nothing sounded since."""
        self._settle(self.now())
        for _, stop in self.spans:
            if stop is None:
                return None
            if stop >= t:
                return stop
        return None

    def last_stop(self) -> float | None:
        """When the last answer's audio stopped; ``None`` while it plays or before any."""
        self._settle(self.now())
        return self.spans[-1][1] if self.spans else None

    def kept_audio(self) -> Int16Array:
        """Everything played (``keep=True``)."""
        return _joined(self._kept)


def _joined(frames: list[Int16Array] | None) -> Int16Array:
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(frames)


__all__ = ["AUDIBLE_PEAK", "RATE", "UNDERRUN_GAP_S", "ScriptedMic", "Spoken", "VirtualSpeaker"]
