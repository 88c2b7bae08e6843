"""Hold the far-end reference back by the bulk of the speaker-to-mic delay.

Sound servers and PortAudio buffer a lot: through the ALSA ``pulse`` plugin we measured 290-400
ms between handing a block to the speaker and hearing it in the mic, on top of the room's own
30 ms. WebRTC's AEC3 searches only a limited delay range by itself and cancels little when the
echo arrives that late. So the stage delays the reference it gives the APM by the estimated
delay minus a safety margin (the echo must never arrive *before* its reference), and AEC3 only
has the remaining few tens of milliseconds to find.

Frames are counted, not timed: the far end and the mic both run in real time, so keeping
``lag_frames`` 10 ms frames queued delays the reference by that many frames. The lag moves only
when the estimate moves by more than ``hysteresis_frames`` (every change makes AEC3 re-adapt).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]


class FarDelayLine:
    """A FIFO of 10 ms far frames that releases them ``lag_frames`` behind their arrival."""

    def __init__(
        self, *, margin_ms: int = 30, hysteresis_frames: int = 2, max_frames: int = 100
    ) -> None:
        self.margin_ms = margin_ms
        self.hysteresis_frames = hysteresis_frames
        self._queue: deque[Int16Array] = deque(maxlen=max_frames)
        self.lag_frames = 0
        self.dropped = 0  # frames the mic never came for (queue full), never fed to the APM

    def follow(self, delay_ms: float | None) -> None:
        """Adopt a new delay estimate (None: none yet, keep the current lag)."""
        if delay_ms is None:
            return
        target = max(0, int((delay_ms - self.margin_ms) // 10))
        if abs(target - self.lag_frames) >= self.hysteresis_frames:
            self.lag_frames = min(target, (self._queue.maxlen or 1) - 1)

    @property
    def lag_ms(self) -> int:
        return self.lag_frames * 10

    def push(self, frame: Int16Array) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(frame)

    def release(self) -> list[Int16Array]:
        """The frames now due at the APM (oldest first)."""
        out = []
        while len(self._queue) > self.lag_frames:
            out.append(self._queue.popleft())
        return out
