"""Echo return loss enhancement: the live figure, and the guard on a sustained low one.

:class:`ErleMeter` is the smoothed figure the status bar shows. :class:`LowErleGuard` is the
second residual-echo judge, next to the correlation-based :class:`ResidualEchoDetector`: echo the
canceller cannot remove is not always *correlated* with the far end at one lag (a non-linear
loudspeaker, a path that keeps moving, a reference that slipped), but it always shows as mic
energy the canceller did not take away while the assistant talks. A user talking over the
assistant looks the same for a moment (their voice is rightly kept), which is why the guard
needs ``on_windows`` in a row (2 s by default): a real interruption is confirmed and stops the
assistant well before that, and with the assistant silent nothing is judged.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]


def energy(pcm: Int16Array) -> float:
    x = pcm.astype(np.float32)
    return float(np.dot(x, x)) / max(1, x.size)


def _power(dbfs: float) -> float:
    return float((32768.0 * 10 ** (dbfs / 20)) ** 2)


class ErleMeter:
    """Mic energy before vs after cancellation, only while the far end plays and echo is there.

    Each 10 ms frame's ratio, in dB, smoothed with a ~1 s time constant, so it is a live
    figure: it dips while the user talks over the assistant (their voice is, rightly, not
    removed) and recovers within a second or two after. Smoothing the energies instead (what
    this did first) let one loud moment of double talk hold the figure down: the user's voice
    in the smoothed "after" energy is 50-60 dB over the residual echo, and decaying that away
    took ~13 s of the assistant talking. On the PulseAudio echo path (issue 38's grid) the
    status bar then read 5-20 dB for the rest of the session after the first interruption,
    while the canceller went on removing ~65 dB of the echo frame by frame.
    """

    def __init__(self, alpha: float = 0.99, floor_dbfs: float = -60.0) -> None:
        self.alpha = alpha
        self._floor = _power(floor_dbfs)
        self.erle_db: float | None = None
        self._smooth: float | None = None

    def update(self, far: Int16Array, near: Int16Array, out: Int16Array) -> None:
        e_far, e_in = energy(far), energy(near)
        if e_far < self._floor or e_in < self._floor:
            return
        e_out = energy(out)
        frame_db = min(90.0, max(0.0, 10 * math.log10(e_in / max(e_out, 1e-3))))
        prev = self._smooth
        a = self.alpha
        self._smooth = frame_db if prev is None else a * prev + (1 - a) * frame_db
        self.erle_db = round(self._smooth, 1)


class LowErleGuard:
    """Raises :attr:`leaking` after ``on_windows`` windows in a row of low ERLE with the far end
    playing and the cancelled mic loud enough for a VAD; clears after ``off_windows`` clean ones.

    Feed it every 10 ms frame (far as given to the canceller, mic before and after); windows are
    ``window_frames`` long. Windows where the far end is quiet are not judged (no change).
    """

    def __init__(
        self,
        *,
        window_frames: int = 12,
        min_erle_db: float = 12.0,
        min_out_dbfs: float = -50.0,
        far_floor_dbfs: float = -45.0,
        on_windows: int = 16,
        off_windows: int = 32,
    ) -> None:
        self.window_frames = window_frames
        self.min_erle_db = min_erle_db
        self._min_out = _power(min_out_dbfs)
        self._far_floor = _power(far_floor_dbfs)
        self.on_windows = on_windows
        self.off_windows = off_windows
        self._sums = [0.0, 0.0, 0.0]  # far, mic in, mic out energies over the window
        self._n = 0
        self._run = 0
        self.leaking = False
        self.last_erle_db: float | None = None  # of the last judged window

    def update(self, far: Int16Array, near: Int16Array, out: Int16Array) -> bool | None:
        """One frame; returns the new state when :attr:`leaking` flips, else None."""
        for i, x in enumerate((far, near, out)):
            self._sums[i] += energy(x)
        self._n += 1
        if self._n < self.window_frames:
            return None
        e_far, e_in, e_out = (s / self._n for s in self._sums)
        self._sums, self._n = [0.0, 0.0, 0.0], 0
        if e_far < self._far_floor:
            return None  # the assistant is quiet: nothing to judge
        erle = 10 * math.log10(max(e_in, 1e-3) / max(e_out, 1e-3))
        self.last_erle_db = round(erle, 1)
        bad = erle < self.min_erle_db and e_out >= self._min_out
        if bad == self.leaking:
            self._run = 0
            return None
        self._run += 1
        if self._run < (self.on_windows if bad else self.off_windows):
            return None
        self._run = 0
        self.leaking = bad
        return bad
