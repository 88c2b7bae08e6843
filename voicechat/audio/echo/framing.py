"""Cut audio of any rate, channel count and block size into 10 ms mono frames at one rate.

The APM takes exactly 10 ms per call, while devices hand over whatever their callback size is
(20 ms at 48 kHz here, 441 or 1024 samples elsewhere) and a speaker may run at 44.1 kHz in
stereo. :class:`Reframer` downmixes, resamples with the project's streaming resampler (no chunk
edge artefacts) and re-blocks; :class:`Deframer` does the way back for the mic's output.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voicechat.rtc import dsp

Int16Array = npt.NDArray[np.int16]


def downmix(block: npt.ArrayLike, channels: int) -> Int16Array:
    """Interleaved or ``(n, channels)`` int16 -> mono (the mean of the channels)."""
    arr = np.asarray(block)
    if arr.ndim == 2:
        channels = arr.shape[1]
    flat = arr.reshape(-1)
    if channels == 1:
        mono: Int16Array = np.asarray(flat, dtype=np.int16)
        return mono
    if flat.size % channels:
        raise ValueError(f"{flat.size} samples do not split into {channels} channels")
    mean: Int16Array = (flat.reshape(-1, channels).astype(np.int32).sum(axis=1) // channels).astype(
        np.int16
    )
    return mean


def upmix(mono: Int16Array, channels: int) -> Int16Array:
    """Mono -> interleaved ``channels`` (each channel a copy, same level)."""
    return mono if channels == 1 else np.repeat(mono, channels)


class Reframer:
    """Blocks in (any size, ``rate`` Hz, ``channels``) -> 10 ms mono frames at ``out_rate``."""

    def __init__(self, rate: int, channels: int, out_rate: int) -> None:
        if channels < 1:
            raise ValueError(f"channel count must be at least 1, got {channels}")
        self.rate, self.channels, self.out_rate = rate, channels, out_rate
        self.frame_samples = out_rate // 100
        self._resampler = dsp.StreamResampler(rate, out_rate)
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, block: npt.ArrayLike) -> list[Int16Array]:
        """Feed one block; returns the complete 10 ms frames it made available (maybe none)."""
        mono = self._resampler.process(downmix(block, self.channels))
        pending = np.concatenate([self._pending, mono]) if self._pending.size else mono
        n = pending.size // self.frame_samples
        frames = [pending[i * self.frame_samples : (i + 1) * self.frame_samples] for i in range(n)]
        self._pending = pending[n * self.frame_samples :].copy()
        return frames

    @property
    def pending_samples(self) -> int:
        """Samples (at ``out_rate``) waiting for the rest of their frame."""
        return int(self._pending.size)


class Deframer:
    """Processed 10 ms frames back to the caller's rate and channels, one block out per block in.

    ``pull(n)`` returns exactly ``n`` input-rate samples per channel so that the mic path keeps
    its block size. When the caller's blocks are not whole 10 ms frames, the output starts with
    just enough silence to never run short: that silence (under 10 ms) is the only added latency.
    """

    def __init__(self, rate: int, channels: int, in_rate: int) -> None:
        self.rate, self.channels = rate, channels
        self._resampler = dsp.StreamResampler(in_rate, rate)
        self._ready = np.zeros(0, dtype=np.int16)
        self.padding_samples = 0  # silence inserted so far (the added latency, at ``rate``)

    def push(self, frame: Int16Array) -> None:
        out = self._resampler.process(frame)
        self._ready = np.concatenate([self._ready, out]) if self._ready.size else out

    def pull(self, n: int) -> Int16Array:
        if self._ready.size < n:
            short = n - self._ready.size
            self.padding_samples += short
            self._ready = np.concatenate([np.zeros(short, dtype=np.int16), self._ready])
        out, self._ready = self._ready[:n], self._ready[n:]
        return upmix(out, self.channels)
