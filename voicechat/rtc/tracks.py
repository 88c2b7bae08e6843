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
import fractions
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms, what Opus in aiortc encodes per packet
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


class PacedAudioTrack(MediaStreamTrack):
    """An outgoing audio track fed with int16 mono 48 kHz chunks, released in real time.

    ``push()`` queues audio; ``recv()`` hands aiortc one 20 ms stereo frame per 20 ms of wall
    time (stereo because aiortc's mono→stereo upmix costs 3 dB). Counters are in samples at
    48 kHz: ``queued_total`` counts everything ever pushed, ``played_total`` everything sent out
    (cleared audio counts as neither played nor queued any more). ``lateness_ms`` records how
    late each frame left compared with its schedule: the load benchmark's underrun measure.
    """

    kind = "audio"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._chunks: deque[np.ndarray] = deque()
        self._buffered = 0
        self._start: float | None = None
        self._pts = 0
        self.queued_total = 0
        self.played_total = 0
        self._waiters: list[tuple[int, asyncio.Future[bool]]] = []
        self.max_lateness_ms = 0.0
        self.late_frames = 0  # frames sent more than one frame period behind schedule
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

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = self._clock()
        if self._start is None:
            self._start = now
        else:
            due = self._start + self._pts / SAMPLE_RATE
            delay = due - now
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late_ms = -delay * 1000.0
                self.max_lateness_ms = max(self.max_lateness_ms, late_ms)
                if late_ms > FRAME_SAMPLES / SAMPLE_RATE * 1000.0:
                    self.late_frames += 1
        mono = self._take(FRAME_SAMPLES)
        stereo = np.repeat(mono, 2).reshape(1, -1)
        frame = AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += FRAME_SAMPLES
        self.frames_sent += 1
        return frame

    def _take(self, n: int) -> np.ndarray:
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
