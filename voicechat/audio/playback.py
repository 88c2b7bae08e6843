"""Assistant audio waiting to be heard, and how much of each item really was heard.

One :class:`PlaybackBuffer` sits between the network (the event loop pushes decoded 48 kHz mono
frames) and whatever plays them (a PortAudio callback thread, or a paced task writing a WAV). The
reader side is called from the audio thread, so it only takes a short lock, never waits and
never touches the event loop; the loop learns what happened by polling :meth:`snapshot` at its
own pace. ``played_ms`` per item is what the session core needs for an honest
``conversation.item.truncate`` (never longer than what reached the speaker).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RATE = 48000
Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True)
class PlaybackSnapshot:
    """What the speaker side has done so far (read by the loop at its own pace)."""

    playing: bool  # real audio was handed to the device in the last read
    item_id: str | None  # the item whose audio is (or was last) playing
    played_ms: int  # of that item
    queued_ms: int
    total_played_samples: int


class PlaybackBuffer:
    """Thread-safe FIFO of (item_id, pcm) chunks with per-item played position."""

    def __init__(self, on_handoff: Callable[[float], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._chunks: deque[tuple[str | None, Int16Array, float]] = deque()
        self._offset = 0  # samples of the first chunk already read
        self._queued = 0
        self._played: dict[str | None, int] = {}
        self._current: str | None = None
        self._playing = False
        self._paused = False  # the local barge-in detector holds playback (see pause)
        self._total = 0
        self._flushes = 0  # see flushes
        self._on_handoff = on_handoff  # benchmark hook: seconds from push to first read
        self._audio_waiters: list[asyncio.Future[None]] = []  # see wait_for_audio

    def push(self, pcm: Int16Array, item_id: str | None = None) -> None:
        """Queue mono int16 audio at 48 kHz (called on the event loop)."""
        if pcm.size == 0:
            return
        with self._lock:
            self._chunks.append((item_id, pcm, time.perf_counter()))
            self._queued += int(pcm.size)
        if self._audio_waiters:
            waiters, self._audio_waiters = self._audio_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def wait_for_audio(self) -> None:
        """Return once audio is queued (at once if some is); on the event loop, where
        :meth:`push` runs. What polls or paces the buffer only for audio (the playback monitor,
        the null speaker) waits here while there is none, so a silent speaker costs no event-loop
        wake-ups."""
        with self._lock:
            if self._queued > 0:
                return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._audio_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._audio_waiters:
                self._audio_waiters.remove(waiter)

    @property
    def idle(self) -> bool:
        """Nothing queued, and the last read found nothing either (the drain was seen)."""
        with self._lock:
            return not self._playing and self._queued == 0

    def read(self, n: int) -> Int16Array:
        """Take ``n`` samples for the device, zero-padded when the queue runs dry (audio thread)."""
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        with self._lock:
            if self._paused:  # silence, nothing consumed: resume plays on from this sample
                self._playing = self._queued > 0
                return out
            while filled < n and self._chunks:
                item_id, pcm, pushed = self._chunks[0]
                if self._offset == 0 and self._on_handoff is not None:
                    self._on_handoff(time.perf_counter() - pushed)
                take = min(n - filled, pcm.size - self._offset)
                out[filled : filled + take] = pcm[self._offset : self._offset + take]
                filled += take
                self._offset += take
                self._queued -= take
                self._played[item_id] = self._played.get(item_id, 0) + take
                self._current = item_id
                if self._offset >= pcm.size:
                    self._chunks.popleft()
                    self._offset = 0
            self._playing = filled > 0
            self._total += filled
        return out

    def pause(self) -> None:
        """Hold playback where it is (the user may be interrupting): the device gets silence and
        nothing queued is consumed or dropped; still ``playing`` while audio waits."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Play on from the sample where :meth:`pause` stopped."""
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    def flush(self) -> int:
        """Drop everything queued (barge-in, cancel); returns the samples dropped. A pause ends
        with it: what comes next is a new answer."""
        with self._lock:
            self._paused = False
            dropped = self._queued
            self._chunks.clear()
            self._offset = 0
            self._queued = 0
            self._playing = False
            self._flushes += 1
            return dropped

    @property
    def flushes(self) -> int:
        """How many times :meth:`flush` ran: a listener that sees this change knows the answer
        it was hearing was cut, even when the next one starts before any silence shows it."""
        with self._lock:
            return self._flushes

    def played_ms(self, item_id: str | None) -> int:
        with self._lock:
            return self._played.get(item_id, 0) * 1000 // RATE

    @property
    def queued_ms(self) -> int:
        with self._lock:
            return self._queued * 1000 // RATE

    def snapshot(self) -> PlaybackSnapshot:
        with self._lock:
            playing = self._playing or self._queued > 0
            item_id = self._current
            if not self._playing and self._chunks:  # about to start: name what comes next
                item_id = self._chunks[0][0]
            return PlaybackSnapshot(
                playing=playing,
                item_id=item_id,
                played_ms=self._played.get(item_id, 0) * 1000 // RATE,
                queued_ms=self._queued * 1000 // RATE,
                total_played_samples=self._total,
            )
