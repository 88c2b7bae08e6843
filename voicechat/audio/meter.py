"""Input level for the UI: RMS per frame with a fast attack and a slow release.

The UI reads :attr:`LevelMeter.level` at its own pace (~20 Hz); the mic pump updates it per frame.
Nothing is pushed to the UI per audio frame.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


class LevelMeter:
    """Smoothed 0..1 level; ``release``: fraction kept per 20 ms frame when the level falls."""

    def __init__(self, release: float = 0.85) -> None:
        self.release = release
        self.level = 0.0

    def update(self, frame: npt.NDArray[np.int16]) -> float:
        if frame.size == 0:
            return self.level
        # a dot product: one pass, no temporary of squares (a tenth of mean(x ** 2)'s time,
        # and it runs for every mic frame)
        samples = frame.astype(np.float32)
        rms = math.sqrt(float(samples.dot(samples)) / samples.size) / 32768.0
        # Map RMS to a perceptual-ish 0..1 scale: -60 dBFS -> 0, 0 dBFS -> 1.
        value = 0.0 if rms <= 1e-3 else min(1.0, 1.0 + float(np.log10(rms)) / 3.0)
        self.level = value if value > self.level else self.level * self.release + value * (
            1 - self.release
        )
        return self.level
