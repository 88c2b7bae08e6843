"""The barge-in ears' reference re-timed onto the mic's clock: the skew measured, then followed.

Why (issue 53): :mod:`~voicechat.audio.echo.drift` measures the clock skew between speaker and
mic from the stage's delay estimates, and :mod:`~voicechat.audio.echo.warp` reads the reference
at a hold moving at that rate; this joins them with the stage's delay estimate and decides where
the hold starts and when it starts over, so :class:`~voicechat.audio.echo.stage.EchoCanceller`
only feeds it and restarts the linear ear's filter when it says the reference jumped. Sans-IO.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voicechat.audio.echo.correlate import LagPeak
from voicechat.audio.echo.drift import DriftTracker
from voicechat.audio.echo.warp import ReferenceWarp

#: where the ears' reference is warped onto the mic's clock, the echo is left at least this late
#: against it: the copy ear searches lags from 0 and the linear ear's filter starts at its bulk
#: delay, so an echo held back past its own delay is one neither can reach
WARP_ECHO_MIN_MS = 8.0
#: a delay that grows starts the warp's hold this short (it grows to ``warp.MAX_HOLD_MS``: at
#: 300 ppm, about three minutes before it starts again)
WARP_GROWING_START_MS = 5.0
#: a delay that shrinks needs room to shrink into: with less than this the warp lets go, and
#: the ears follow the path as played (a shrinking path ends where the sound server or the
#: driver drops a buffer, and the delay jumps back up)
WARP_MIN_ROOM_MS = 2.0


class ReferenceRetimer:
    """Feed each reference frame through :meth:`process`, and each new delay estimate (with the
    estimator's last peak) to :meth:`follow`; read :attr:`hold_ms` and :attr:`ppm`."""

    def __init__(self, rate: int, *, enabled: bool = True) -> None:
        self.enabled = enabled  # off: the skew is measured all the same, never followed
        self._drift = DriftTracker()
        self._warp = ReferenceWarp(rate)
        self._peak: LagPeak | None = None  # the estimator's last peak, once observed
        #: times the warp started over (a new hold: whoever filters the reference restarts)
        self.starts = 0

    @property
    def ppm(self) -> float | None:
        """The clock skew measured (see :attr:`DriftTracker.ppm`)."""
        return self._drift.ppm

    @property
    def hold_ms(self) -> float:
        """How far the ears' reference is held back now (0 while not warping)."""
        return self._warp.hold_ms

    def process(self, far: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """One reference frame -> the same length of it, as the ears hear it."""
        return self._warp.process(far)

    def follow(self, now: float, peak: LagPeak | None, trusted: bool, delay: float | None,
               frame_samples: int) -> bool:
        """A new ``peak`` (``trusted``: strong and loud enough) goes to the skew's fit; the warp
        is set to the skew and started (or started over, from where the path now is) where it
        needs a new hold. True when the reference the ears hear jumped."""
        if peak is not None and peak is not self._peak:
            self._peak = peak
            if trusted and peak.fine_lag_ms is not None:
                self._drift.observe(now, peak.fine_lag_ms)
        ppm = self._drift.ppm if self.enabled else None
        warp = self._warp
        if ppm is None or delay is None:
            warp.set_rate(0.0)  # a path that jumped or wanders: hold still
            return False
        moved = False
        if not warp.engaged or warp.would_leave(frame_samples):
            room = max(0.0, delay - WARP_ECHO_MIN_MS)
            if ppm < 0 and room < WARP_MIN_ROOM_MS:
                if warp.engaged:
                    warp.disengage()
                    self.starts += 1
                    return True
                return False
            warp.engage(min(room, WARP_GROWING_START_MS) if ppm > 0 else room)
            self.starts += 1
            moved = True
        warp.set_rate(ppm)
        return moved


__all__ = ["ReferenceRetimer"]
