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
lags that scatter off the line (a path that wanders rather than drifts).

Jumps: a jump moves the delay, not the clocks. On a loaded machine the path slips by a whole
10 ms block every 5-15 s (the grid's skewed path, one core busy: lags 86 -> 96 -> 85 ... 80 ->
70 -> 77 ms, each step 10 ms to within 0.1 on top of the drift; the stage's frames and the
sound server's and the skew loop's blocks are all 10 ms), and a sound server that re-buffers
moves it by more. So a step from one lag to the
next more than ``JUMP_MS`` off what the slope so far predicts starts a new stretch, and the
line is fitted with one slope and each stretch's own offset (a bad window is a stretch of one
lag, which says nothing of the slope). Fitted to the lags as measured, with a jump taken out
only where two lags in a row agreed off the line, the first fit of that run held a jump from
before there was a line, read 2,118 ppm with 2.8 ms of scatter, and no slope was given for 31
seconds; bridging each jump with the slope so far instead fed the slope's own error back into
it (±50 ppm of wander with a bad window in twenty). Sans-IO: times and lags in, a figure out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: the fit's window: the last this many lags (12 s of the speaker talking, at the delay
#: estimator's 4 a second), long enough that a lag read to ~0.03 ms gives a slope within ~5 ppm.
#: Counted in lags, not seconds: a skew is the device pair's and outlasts the pauses between
#: answers, and every step between two lags is checked against the slope (see the module doc)
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
#: a stretch between jumps counts toward the line from this many lags (a second of them): a
#: path that jumps every other lag has no slope to give, and pairs of lags 250 ms apart each
#: read the slope only to ~200 ppm
MIN_STRETCH_LAGS = 4
#: a step between two lags this far (ms) off what the slope predicts is a jump: a 10 ms frame
#: slip or a re-buffer, not the drift (at 2,000 ppm, 0.5 ms between two lags 250 ms apart) nor
#: the lags' own noise (0.03-0.1 ms here)
JUMP_MS = 1.0


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
        #: (time, lag, stretch): the lags, each with the stretch between jumps it belongs to
        self._lags: deque[tuple[float, float, int]] = deque(maxlen=keep)
        self._stretch = 0
        self.fit: DriftFit | None = None  # the last line fitted, trusted or not
        self.jumps = 0  # steps taken as jumps (a slip, a re-buffer, a bad window)

    @property
    def ppm(self) -> float | None:
        """The trusted slope (ppm: µs of delay per second), or ``None`` (see the module doc)."""
        fit = self._straight()
        if fit is None or not self.min_ppm <= abs(fit.ppm) <= MAX_PPM:
            return None
        return fit.ppm

    def _straight(self) -> DriftFit | None:
        """The fitted line where the lags lie on it (any slope, 0 included), else ``None``."""
        fit = self.fit
        return fit if fit is not None and fit.scatter_ms <= MAX_SCATTER_MS else None

    def predict_ms(self, t: float) -> float | None:
        """The delay at ``t`` by the last lag and the slope (``None``: no line yet)."""
        fit = self._straight()
        if fit is None or not self._lags:
            return None
        last_t, last_lag, _ = self._lags[-1]
        return last_lag + fit.ppm * 1e-3 * (t - last_t)

    def observe(self, t: float, lag_ms: float) -> None:
        """One delay measurement (ms) at time ``t`` (s, any monotonic origin)."""
        lags = self._lags
        if lags:
            last_t, last_lag, _ = lags[-1]
            fit = self._straight()
            expected = 0.0 if fit is None else fit.ppm * 1e-3 * (t - last_t)
            if abs(lag_ms - last_lag - expected) > JUMP_MS:
                self.jumps += 1
                self._stretch += 1
        lags.append((t, lag_ms, self._stretch))
        while lags and lags[0][0] < t - MAX_AGE_S:
            lags.popleft()
        self._refit()

    def _refit(self) -> None:
        data = np.array(self._lags, dtype=np.float64)
        t, d, stretch = data[:, 0], data[:, 1], data[:, 2].astype(np.int64)
        keep = _in_stretches(stretch)
        if int(keep.sum()) < self.min_lags or _span(t[keep], stretch[keep]) < self.min_span_s:
            return
        fit = _line(t[keep], d[keep], stretch[keep])
        # once more without the lags far off the line (a window the user's voice or a burst
        # of noise moved by less than a jump): a least-squares line is pulled by each
        residual = _residuals(t[keep], d[keep], stretch[keep], fit.ppm * 1e-3)
        close = np.abs(residual) <= max(3.0 * fit.scatter_ms, 0.5)
        if self.min_lags <= int(close.sum()) < close.size:
            fit = _line(t[keep][close], d[keep][close], stretch[keep][close])
        self.fit = fit


def _in_stretches(stretch: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """The lags in a stretch of ``MIN_STRETCH_LAGS`` or more (a lone lag, a bad window, says
    nothing of a slope)."""
    _, index, counts = np.unique(stretch, return_inverse=True, return_counts=True)
    kept: npt.NDArray[np.bool_] = counts[index] >= MIN_STRETCH_LAGS
    return kept


def _span(t: npt.NDArray[np.float64], stretch: npt.NDArray[np.int64]) -> float:
    """The time the stretches cover, added up (s)."""
    return float(sum(np.ptp(t[stretch == k]) for k in np.unique(stretch))) if t.size else 0.0


def _residuals(t: npt.NDArray[np.float64], d: npt.NDArray[np.float64],
               stretch: npt.NDArray[np.int64], slope: float) -> npt.NDArray[np.float64]:
    """Each lag off its stretch's line of ``slope`` (ms per s) through the stretch's mean."""
    out = np.empty_like(d)
    for k in np.unique(stretch):
        mask = stretch == k
        out[mask] = d[mask] - d[mask].mean() - slope * (t[mask] - t[mask].mean())
    return out


def _line(t: npt.NDArray[np.float64], d: npt.NDArray[np.float64],
          stretch: npt.NDArray[np.int64]) -> DriftFit:
    """Least squares: one slope for every stretch, each stretch its own offset; the line given
    through the newest stretch's mean point."""
    num = den = 0.0
    for k in np.unique(stretch):
        mask = stretch == k
        dt = t[mask] - t[mask].mean()
        num += float(np.dot(dt, d[mask] - d[mask].mean()))
        den += float(np.dot(dt, dt))
    slope = num / max(den, 1e-12)  # ms per s
    residual = _residuals(t, d, stretch, slope)
    newest = stretch == stretch[-1]
    return DriftFit(ppm=slope * 1000.0, at=float(t[newest].mean()),
                    delay_ms=float(d[newest].mean()),
                    scatter_ms=float(np.sqrt(np.mean(residual**2))), lags=t.size)


__all__ = ["DriftFit", "DriftTracker"]
