"""The input audio buffer at 16 kHz, addressed by milliseconds since the stream began.

Server VAD reports speech boundaries in stream milliseconds, ``commit`` takes everything since
the last commit, and both must agree on which samples belong to a user item; keeping one
absolute sample clock here is what makes the slicing exact.
"""

from __future__ import annotations

import numpy as np

RATE = 16000
SAMPLES_PER_MS = RATE // 1000
#: Without speech in progress, server VAD keeps only this much history (prefix padding and the
#: VAD's own detection delay fit comfortably), so an idle open mic does not grow memory.
IDLE_KEEP_MS = 3000
#: Hard cap for push-to-talk buffers (the real server limits an item to 15 MiB as well).
MAX_KEEP_MS = 10 * 60 * 1000


class InputBuffer:
    """Uncommitted input audio, int16 mono 16 kHz."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._size = 0
        self.start_sample = 0  # absolute index of the first sample still held
        self.total_samples = 0  # absolute index one past the last sample appended

    @property
    def stream_ms(self) -> int:
        return self.total_samples // SAMPLES_PER_MS

    @property
    def buffered_ms(self) -> float:
        return self._size / SAMPLES_PER_MS

    def append(self, pcm16k: np.ndarray) -> None:
        if pcm16k.size == 0:
            return
        self._chunks.append(np.asarray(pcm16k, dtype=np.int16))
        self._size += pcm16k.size
        self.total_samples += pcm16k.size
        if self._size > MAX_KEEP_MS * SAMPLES_PER_MS:
            self.drop_before(self.total_samples - MAX_KEEP_MS * SAMPLES_PER_MS)

    def _joined(self) -> np.ndarray:
        if len(self._chunks) != 1:
            joined = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            self._chunks = [joined] if joined.size else []
        return self._chunks[0] if self._chunks else np.zeros(0, np.int16)

    def take_all(self) -> np.ndarray:
        """Everything held; the buffer is empty afterwards."""
        audio = self._joined()
        self.clear()
        return audio

    def take_range_ms(self, start_ms: int, end_ms: int) -> np.ndarray:
        """Samples from ``start_ms`` to ``end_ms`` (stream time); drops all before the end."""
        audio = self._joined()
        lo = max(0, start_ms * SAMPLES_PER_MS - self.start_sample)
        hi = max(lo, min(audio.size, end_ms * SAMPLES_PER_MS - self.start_sample))
        segment = audio[lo:hi].copy()
        self.drop_before(end_ms * SAMPLES_PER_MS)
        return segment

    def since(self, sample: int) -> np.ndarray:
        """The held samples from absolute index ``sample`` (or the first held) to the end."""
        audio = self._joined()
        return audio[max(0, sample - self.start_sample):]

    def drop_before(self, sample: int) -> None:
        """Forget samples before absolute index ``sample``."""
        cut = sample - self.start_sample
        if cut <= 0:
            return
        audio = self._joined()
        cut = min(cut, audio.size)
        rest = audio[cut:]
        self._chunks = [rest] if rest.size else []
        self._size = rest.size
        self.start_sample += cut

    def trim_idle(self) -> None:
        if self._size < 2 * IDLE_KEEP_MS * SAMPLES_PER_MS:
            return  # trim in batches: each trim concatenates the held audio
        self.drop_before(self.total_samples - IDLE_KEEP_MS * SAMPLES_PER_MS)

    def clear(self) -> None:
        self._chunks = []
        self._size = 0
        self.start_sample = self.total_samples
