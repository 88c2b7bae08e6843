"""Stream delay: how long after it is handed to the speaker the far end shows up in the mic.

WebRTC's AEC3 finds the delay itself, but it takes a hint (``set_stream_delay_ms``) and the
user deserves to see the figure: a delay that keeps moving means a device whose clock drifts or
a sound server that re-buffers, both of which hurt cancellation. The estimate is the median of
the last few confident cross-correlation peaks between the speaker feed and the raw mic, so one
bad window (the user talking over the assistant) cannot move it. Two confident windows in a row
that agree with each other but not with the median mean the delay really jumped (an underrun
makes the sound server re-buffer: we measured jumps of 180 ms on a busy machine), and the
estimate moves to them at once instead of waiting for the median to come round.
"""

from __future__ import annotations

import statistics
from collections import deque

import numpy as np
import numpy.typing as npt

from voicechat.audio.echo.correlate import LagCorrelator, LagPeak


class DelayEstimator:
    """Feed far and mic audio at ``rate``; read :attr:`delay_ms` (None until confident)."""

    def __init__(
        self,
        rate: int,
        *,
        max_delay_ms: int = 500,
        hop_ms: int = 250,
        min_strength: float = 0.2,
        far_floor_dbfs: float = -50.0,
        keep: int = 5,
        jump_ms: float = 20.0,
        window_ms: int = 1000,
    ) -> None:
        self._corr = LagCorrelator(rate, window_ms=window_ms, max_lag_ms=max_delay_ms)
        self._hop = rate * hop_ms // 1000
        self._since = 0
        self.min_strength = min_strength
        self.far_floor_dbfs = far_floor_dbfs
        self.jump_ms = jump_ms
        self._recent: deque[float] = deque(maxlen=keep)
        self.jumps = 0  # times the estimate moved at once (see the module doc)
        self.delay_ms: float | None = None
        self.last_peak: LagPeak | None = None

    def push_far(self, pcm: npt.NDArray[np.int16]) -> None:
        self._corr.push_ref(pcm)

    def push_mic(self, pcm: npt.NDArray[np.int16], *, judge: bool = True) -> float | None:
        """Feed captured audio; every ``hop`` re-estimates. Returns the current estimate.

        ``judge=False`` while someone talks over the far end (or their voice is still in the
        window): the audio is kept so the rings stay in step, but no peak is taken. Two voices
        of the same pitch line up at some lag by their periods alone: on issue 38's echo path a
        user's sentence in the assistant's own voice gave two agreeing windows at 458-500 ms,
        the estimate jumped there from 25 ms, and the canceller lost the echo for 3-5 s."""
        self._corr.push_sig(pcm)
        self._since += pcm.size
        if self._since >= self._hop:
            self._since = 0
            peak = self._corr.peak() if judge else None
            self.last_peak = peak if judge else self.last_peak
            if (
                peak is not None
                and peak.strength >= self.min_strength
                and peak.ref_dbfs >= self.far_floor_dbfs
            ):
                self._recent.append(peak.lag_ms)
                self._follow_jump()
                self.delay_ms = float(statistics.median(self._recent))
        return self.delay_ms

    def _follow_jump(self) -> None:
        if len(self._recent) < 3 or self.delay_ms is None:
            return
        a, b = self._recent[-2], self._recent[-1]
        if abs(a - b) <= 2.0 and abs(b - self.delay_ms) > self.jump_ms:
            self._recent.clear()
            self._recent.extend((a, b))
            self.jumps += 1
