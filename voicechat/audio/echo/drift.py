"""How fast the echo's delay moves: the clock skew between speaker and mic (issue 53).

Why: a speaker and a mic on two crystals (a USB or Bluetooth speaker, a built-in mic) run at
rates a few tens to hundreds of ppm apart, and nothing between them resamples, so the echo's
delay grows (or shrinks) without end: 0.3 ms a second at the 300 ppm of the grid's ``skew``
cells. The stage's cross-correlation finds the delay every 250 ms (``delay.py``); this fits a
line through the last ``KEEP_LAGS`` of those lags and, where the line is straight and steep
enough, gives its slope in ppm for :class:`~voicechat.audio.echo.warp.ReferenceWarp`.

What it refuses (``ppm`` is ``None``): too few lags or too short a span to fit; a slope under
``min_ppm`` (a fixed path, or PulseAudio's adaptive loop hunting around its latency: the
filters follow that themselves, and warping a path that does not drift would only move it);
lags that scatter off the line (a path that wanders rather than drifts). A lag that jumps off
the line and stays (the sound server re-buffered, the grid's ``jump`` cells, a skewed loop
re-centring) moves the line with it: a jump moves the delay, not the clocks, so the lags so far
are moved by the jump and the slope carries on (on a loaded machine the grid's skewed path
jumped 7-12 ms every 5-10 s; starting the fit over at each jump left the warp standing still
for 3 s each time, and the linear ear at 0-4 dB for half the cell). A jump that changes the
slope too shows as lags bending off the moved line, which the scatter bar then refuses. One lag
off the line alone is dropped as a bad window. Sans-IO: times and lags in, a figure out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: the fit's window: the last this many lags (12 s of the speaker talking, at the delay
#: estimator's 4 a second), long enough that a lag read to ~0.03 ms gives a slope within ~5 ppm.
#: Counted in lags, not seconds: a skew is the device pair's and outlasts the pauses between
#: answers, and the line is checked against every new lag (a jump starts it over)
KEEP_LAGS = 48
#: ... and none older than this (s): a pair of clocks warms up and its skew moves, slowly
MAX_AGE_S = 120.0
#: fewest lags, and shortest span between the first and the last, before a slope is given
MIN_LAGS = 12
MIN_SPAN_S = 3.0
#: a slope under this (ppm) is left to the adaptive filters (see the module doc)
MIN_PPM = 60.0
#: a slope over this is not a clock: 2,000 ppm is a 44.1 kHz device run as 48 kHz less 0.2 %
MAX_PPM = 2000.0
#: the lags' scatter about the line (ms, root mean square) over which the fit is not trusted
MAX_SCATTER_MS = 0.25
#: a lag this far off the line is off it (ms); two in a row mean the path jumped
OFF_LINE_MS = 2.0


@dataclass(frozen=True)
class DriftFit:
    """The fitted line: the delay at ``t`` is ``delay_ms + ppm * 1e-3 * (t - at)`` (ms)."""

    ppm: float
    at: float
    delay_ms: float
    scatter_ms: float
    lags: int


class DriftTracker:
    """Feed :meth:`observe` with each trusted delay measurement; read :attr:`ppm`."""

    def __init__(self, *, keep: int = KEEP_LAGS, min_lags: int = MIN_LAGS,
                 min_span_s: float = MIN_SPAN_S, min_ppm: float = MIN_PPM) -> None:
        self.min_lags = min_lags
        self.min_span_s = min_span_s
        self.min_ppm = min_ppm
        self._lags: deque[tuple[float, float]] = deque(maxlen=keep)
        self._off: tuple[float, float] | None = None  # a lag off the line, waiting for a second
        self.fit: DriftFit | None = None  # the last line fitted, trusted or not
        self.jumps = 0  # times the path jumped and the line moved with it

    @property
    def ppm(self) -> float | None:
        """The trusted slope (ppm: µs of delay per second), or ``None`` (see the module doc)."""
        fit = self.fit
        if fit is None or fit.scatter_ms > MAX_SCATTER_MS:
            return None
        if not self.min_ppm <= abs(fit.ppm) <= MAX_PPM:
            return None
        return fit.ppm

    def predict_ms(self, t: float) -> float | None:
        """The fitted line's delay at ``t`` (``None``: no line yet)."""
        fit = self.fit
        return None if fit is None else fit.delay_ms + fit.ppm * 1e-3 * (t - fit.at)

    def observe(self, t: float, lag_ms: float) -> None:
        """One delay measurement (ms) at time ``t`` (s, any monotonic origin)."""
        predicted = self.predict_ms(t)
        if predicted is not None and abs(lag_ms - predicted) > OFF_LINE_MS:
            off = self._off
            self._off = (t, lag_ms)
            if off is None or abs(off[1] - lag_ms) > OFF_LINE_MS:
                return  # one bad window, or not yet a new path
            # two in a row, agreeing: the path jumped, by as much as they stand off the line
            jump = 0.5 * ((off[1] - (self.predict_ms(off[0]) or predicted))
                          + (lag_ms - predicted))
            moved = [(when, delay + jump) for when, delay in self._lags]
            self._lags.clear()
            self._lags.extend(moved)
            self._lags.append(off)
            self.jumps += 1
        self._off = None
        self._lags.append((t, lag_ms))
        while self._lags and self._lags[0][0] < t - MAX_AGE_S:
            self._lags.popleft()
        self._refit()

    def _refit(self) -> None:
        lags = self._lags
        if len(lags) < self.min_lags or lags[-1][0] - lags[0][0] < self.min_span_s:
            if self.fit is not None and len(lags) < 2:
                self.fit = None
            return
        data = np.array(lags, dtype=np.float64)
        t, d = data[:, 0], data[:, 1]
        fit = _line(t, d)
        # once more without the lags far off the first line (a window the user's voice or a
        # burst of noise moved): a least-squares line is pulled by every outlier
        keep = np.abs(d - fit.delay_ms - fit.ppm * 1e-3 * (t - fit.at)) <= max(
            3.0 * fit.scatter_ms, 0.5)
        if self.min_lags <= int(keep.sum()) < keep.size:
            fit = _line(t[keep], d[keep])
        self.fit = fit


def _line(t: npt.NDArray[np.float64], d: npt.NDArray[np.float64]) -> DriftFit:
    """Least squares: delay against time, as a slope in ppm through the mean point."""
    at = float(t.mean())
    dt = t - at
    mean = float(d.mean())
    slope = float(np.dot(dt, d - mean) / max(float(np.dot(dt, dt)), 1e-12))  # ms per s
    scatter = float(np.sqrt(np.mean((d - mean - slope * dt) ** 2)))
    return DriftFit(ppm=slope * 1000.0, at=at, delay_ms=mean, scatter_ms=scatter, lags=t.size)


__all__ = ["DriftFit", "DriftTracker"]
