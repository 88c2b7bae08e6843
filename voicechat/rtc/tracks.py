"""Paced outgoing aiortc audio, and a pump that reads a remote track.

aiortc's ``RTCRtpSender`` calls ``track.recv()`` in a tight loop and does not pace: a track that
returns frames as fast as it has them delivers seconds of speech in a burst, the peer's jitter
buffer overflows and "playback position" loses its meaning. :class:`PacedAudioTrack` therefore
keeps its own clock (frame N is due at ``start + N * 20 ms``) and pads with silence when it has
nothing to say, so the RTP stream never stops. It also counts what it has really sent, which is
what the local server needs to report ``output_audio_buffer.stopped`` only after the audio has
drained, and to truncate an interrupted assistant item at the position actually played. The
client reuses the same track for its microphone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from voicechat.rtc.opus import OpusFrameEncoder
from voicechat.rtc.pacer import Pacer, pacer_for
from voicechat.rtc.rates import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE

__all__ = ["FRAME_MS", "FRAME_SAMPLES", "SAMPLE_RATE"]  # re-exported: they lived here
#: a frame this late is an underrun for the peer: aiortc's stock receive buffer is ~80 ms deep
UNDERRUN_MS = 80.0


class FrameEncoder(Protocol):
    """What turns one 20 ms frame into what aiortc sends (an ``av.Packet`` in production)."""

    def encode(self, mono: np.ndarray, pts: int) -> Any: ...


class PacedAudioTrack(MediaStreamTrack):
    """An outgoing audio track fed with int16 mono 48 kHz chunks, released in real time.

    ``push()`` queues audio; ``recv()`` hands aiortc one 20 ms Opus packet per 20 ms of wall
    time, encoded here (:mod:`voicechat.rtc.opus` says why). Counters are in samples at
    48 kHz: ``queued_total`` counts everything ever pushed, ``played_total`` everything sent out
    (cleared audio counts as neither played nor queued any more). ``lateness_ms`` records how
    late each frame left compared with its schedule: the load benchmark's underrun measure;
    ``underrun_frames`` counts those later than :data:`UNDERRUN_MS`.

    ``early_ms`` is for a live source (the client's mic), whose frames arrive in real time on
    their own clock: a whole frame already queued may leave up to that much before its slot, so
    it waits for the data rather than for the next 20 ms tick of an unrelated clock (a wait of
    up to a frame, ~10 ms on average). The stream still never runs more than ``early_ms``
    ahead of real time. The server's track (bursts of TTS) keeps the strict schedule: 0; on the
    real clock its slots sit on the process-wide 20 ms grid of :mod:`voicechat.rtc.pacer`, so
    all sessions' tracks wake together.
    """

    kind = "audio"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, early_ms: float = 0.0,
                 encoder: FrameEncoder | None = None) -> None:
        super().__init__()
        self._clock = clock
        self._early_s = max(0.0, min(early_ms, FRAME_MS)) / 1000.0
        #: the shared grid, for strictly paced tracks on the loop's own clock (set on first recv)
        self._use_pacer = clock is time.monotonic and self._early_s == 0.0
        self._pacer: Pacer | None = None
        self._silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        self._silence.flags.writeable = False
        self._arrived: asyncio.Event | None = None  # set by push() while recv() waits for data
        #: a live source (``early_ms``) whose last slot had audio: a missing frame is waited for
        self._live = False
        self._encoder: FrameEncoder = encoder if encoder is not None else OpusFrameEncoder()
        self._chunks: deque[np.ndarray] = deque()
        self._buffered = 0
        self._start: float | None = None
        self._pts = 0
        self.queued_total = 0
        self.played_total = 0
        self._waiters: list[tuple[int, asyncio.Future[bool]]] = []
        self.max_lateness_ms = 0.0
        self.late_frames = 0  # frames sent more than one frame period behind schedule
        self.underrun_frames = 0  # frames sent more than UNDERRUN_MS behind schedule
        self.frames_sent = 0

    # --- feeding ------------------------------------------------------------------------------

    def push(self, pcm48k: np.ndarray) -> None:
        """Queue int16 mono samples at 48 kHz (any length)."""
        chunk = np.asarray(pcm48k, dtype=np.int16).reshape(-1)
        if chunk.size == 0:
            return
        self._chunks.append(chunk)
        self._buffered += chunk.size
        self.queued_total += chunk.size
        if self._arrived is not None and self._buffered >= FRAME_SAMPLES:
            self._arrived.set()

    @property
    def buffered_samples(self) -> int:
        """Samples pushed but not yet sent."""
        return self._buffered

    def clear(self) -> int:
        """Drop everything not yet sent; returns how many samples were dropped.

        Pending :meth:`wait_played` futures resolve with ``False`` ("cleared, not played").
        """
        dropped = self._buffered
        self._chunks.clear()
        self._buffered = 0
        self.queued_total -= dropped
        for _, future in self._waiters:
            if not future.done():
                future.set_result(False)
        self._waiters = []
        return dropped

    def wait_played(self) -> Awaitable[bool]:
        """A future that resolves once everything queued so far has been sent.

        Resolves ``True`` when the audio really went out, ``False`` if it was cleared first.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._buffered == 0:
            future.set_result(True)
        else:
            self._waiters.append((self.queued_total, future))
        return future

    # --- aiortc side --------------------------------------------------------------------------

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        now = self._clock()
        if self._start is None:
            if self._use_pacer:
                self._pacer = pacer_for(asyncio.get_running_loop())
                now = self._pacer.tick_at_or_before(now)
            self._start = now
        else:
            due = self._start + self._pts / SAMPLE_RATE
            delay = due - now
            if delay > 0:
                await self._wait(due)
            else:
                late_ms = -delay * 1000.0
                self.max_lateness_ms = max(self.max_lateness_ms, late_ms)
                if late_ms > FRAME_MS:
                    self.late_frames += 1
                    if late_ms > UNDERRUN_MS:
                        self.underrun_frames += 1
            if self._live and self._buffered < FRAME_SAMPLES:
                await self._grace()
        packet = self._encoder.encode(self._take(FRAME_SAMPLES), self._pts)
        self._pts += FRAME_SAMPLES
        self.frames_sent += 1
        return packet

    async def _wait(self, due: float) -> None:
        """Sleep until the slot ``due``, or (``early_ms``) until a whole frame is queued for it."""
        early = self._early_s
        if self._pacer is not None:
            await self._pacer.wait(due)
            return
        if early == 0.0:
            await asyncio.sleep(due - self._clock())
            return
        while True:
            now = self._clock()
            if now >= due:
                return  # the slot came with no whole frame: what there is goes, padded
            if self._buffered >= FRAME_SAMPLES:
                if due - now > early:
                    await asyncio.sleep(due - now - early)
                return
            await self._frame_or_timeout(due - now)

    async def _grace(self) -> None:
        """A live source's slot came and its frame has not: wait up to ``early_ms`` more.

        The mic's frames come on a clock of their own, and after the process stalled (a loaded
        machine, a collection) both clocks are behind: this track's catch-up ran before the mic
        pump's and sent its slots as silence, the pump's frames queued behind them, and a
        spoken request reached the server with a gap in the middle, which server VAD cut in
        two (a CI run's ``short-speech-segments``; "please turn on the kitchen" | "lights"
        here with the loop stalled 0.3 s in every 0.5 s). Only while the source is live (its
        last slot had audio): a muted mic pushes nothing, and its slots go silent on time."""
        await self._frame_or_timeout(self._early_s)

    async def _frame_or_timeout(self, timeout: float) -> None:
        """Until :meth:`push` has queued a whole frame, or ``timeout`` seconds have passed."""
        arrived = self._arrived = asyncio.Event()
        timer = asyncio.get_running_loop().call_later(timeout, arrived.set)
        try:
            await arrived.wait()
        finally:
            timer.cancel()
            self._arrived = None

    def _take(self, n: int) -> np.ndarray:
        self._live = self._early_s > 0.0 and self._buffered > 0
        if not self._buffered and n == FRAME_SAMPLES:
            return self._silence  # nothing to say (most frames): no new array
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        while filled < n and self._chunks:
            head = self._chunks[0]
            take = min(n - filled, head.size)
            out[filled : filled + take] = head[:take]
            if take == head.size:
                self._chunks.popleft()
            else:
                self._chunks[0] = head[take:]
            filled += take
        self._buffered -= filled
        self.played_total += filled
        if filled and self._waiters:
            still: list[tuple[int, asyncio.Future[bool]]] = []
            for target, future in self._waiters:
                if self.played_total >= target:
                    if not future.done():
                        future.set_result(True)
                else:
                    still.append((target, future))
            self._waiters = still
        return out

    def stop(self) -> None:
        for _, future in self._waiters:
            if not future.done():
                future.set_result(False)
        self._waiters = []
        super().stop()


def frame_to_mono(frame: Any) -> np.ndarray:
    """An ``av.AudioFrame`` (s16, mono or interleaved stereo) as int16 mono samples."""
    data = frame.to_ndarray().reshape(-1)
    channels = len(frame.layout.channels)
    if channels > 1:
        data = data.reshape(-1, channels)[:, 0]
    return np.ascontiguousarray(data, dtype=np.int16)


async def pump_track(
    track: MediaStreamTrack, on_audio: Callable[[np.ndarray, int], Awaitable[None] | None]
) -> None:
    """Read ``track`` until it ends, calling ``on_audio(mono_int16, sample_rate)`` per frame.

    aiortc queues decoded frames without bound inside the remote track, so a remote track must
    be consumed for as long as it lives; this returns when the connection closes.
    """
    while True:
        try:
            frame: Any = await track.recv()
        except MediaStreamError:
            return
        result = on_audio(frame_to_mono(frame), int(frame.sample_rate))
        if result is not None:
            await result


def start_pump(
    track: MediaStreamTrack, on_audio: Callable[[np.ndarray, int], Awaitable[None] | None]
) -> asyncio.Task[None]:
    """:func:`pump_track` as a task (keep a reference; cancel it on shutdown)."""
    return asyncio.ensure_future(pump_track(track, on_audio))


async def cancel_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it, swallowing its cancellation."""
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
