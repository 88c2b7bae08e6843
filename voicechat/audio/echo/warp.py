"""A reference held back by a delay that moves smoothly: the speaker feed on the mic's clock.

Why (issue 53): when the speaker's and the mic's clocks differ (a USB or Bluetooth speaker
beside a built-in mic; the grid's ``skew±300`` cells), the echo's delay moves without end,
0.3 ms a second at 300 ppm. An adaptive filter holds a fixed path: the linear ear
(``linear.py``) read 1-4 dB of ERLE on those cells, where it reads 30 dB and more on a fixed
loop, and a least-squares fit over 120 ms (``copy_ear.py``) is off by a fraction of a sample
from one end of its window to the other. Real drift compensation resamples one side onto the
other's clock; this module does it to the reference the detector's ears hear (never to the
audio sent to the server): it reads the speaker feed at a delay that grows (or shrinks) at the
rate :class:`~voicechat.audio.echo.drift.DriftTracker` measured, so the echo sits still
against what the ears are given.

The delay is read between samples with a windowed sinc (``HALF_TAPS`` each side, Blackman
window): linear interpolation would make the reference's high end swing (1.2 dB at 8 kHz)
every time the fraction crosses a half (every ~70 ms at 300 ppm and 48 kHz), a path change of
its own.
Sans-IO (numpy only): frames in, frames out, no clock but the samples counted. Its cost, timed
here over 500 frames of 10 ms at 48 kHz: 0.06 ms a frame warped (the weights tabled per phase),
3 µs passed through.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]

#: sinc taps on each side of the read position: at 48 kHz the band that matters (under 8 kHz)
#: is under a sixth of the rate, where 8 Blackman-windowed taps a side err by under -60 dB
HALF_TAPS = 8
#: the longest the reference is held back (ms): the ring keeps this much more than a frame
MAX_HOLD_MS = 60.0


#: the read position's fraction is rounded to one of this many phases, whose weights are
#: tabled once: 1/512 of a sample at 48 kHz is 0.04 µs, an error under -80 dB at 8 kHz, and
#: the per-sample kernel it replaces cost 0.48 ms a 10 ms frame (a table lookup: ~0.05 ms)
PHASES = 512


def _kernel(frac: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per read position, the weights of samples ``floor - HALF_TAPS + 1 .. floor + HALF_TAPS``
    for a position ``frac`` (0..1) past ``floor``: a Blackman-windowed sinc, normalised."""
    offsets = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1, dtype=np.float64)
    u = offsets[None, :] - frac[:, None]  # distance of each tap from the read position
    width = HALF_TAPS + 1.0
    window = 0.42 + 0.5 * np.cos(np.pi * u / width) + 0.08 * np.cos(2 * np.pi * u / width)
    weights: npt.NDArray[np.float64] = np.sinc(u) * window
    normalised: npt.NDArray[np.float64] = weights / weights.sum(axis=1, keepdims=True)
    return normalised


_TABLE = _kernel(np.arange(PHASES + 1, dtype=np.float64) / PHASES)


class ReferenceWarp:
    """The speaker feed, frame by frame, held back by :attr:`hold_ms`, which moves by
    ``ppm`` µs every second of audio (``set_rate``). Until :meth:`engage` it passes frames
    through untouched (bit for bit): on a path that does not drift nothing changes."""

    def __init__(self, rate: int, *, max_hold_ms: float = MAX_HOLD_MS) -> None:
        self.rate = rate
        self.max_hold = max_hold_ms * rate / 1000.0
        #: the input's last samples, enough for the longest hold and the kernel's reach (zeros:
        #: the silence before the first frame)
        self._history = np.zeros(int(np.ceil(self.max_hold)) + 2 * HALF_TAPS + 2)
        self._hold = 0.0  # samples the reference is held back by, at the next output sample
        self._step = 0.0  # how much the hold grows per sample (ppm * 1e-6)
        self.engaged = False

    @property
    def hold_ms(self) -> float:
        """How far the reference is held back now, the kernel's half included (0 while not
        engaged)."""
        return (self._hold + HALF_TAPS) * 1000.0 / self.rate if self.engaged else 0.0

    def engage(self, hold_ms: float) -> None:
        """Start (or restart) warping, the reference held back by ``hold_ms`` (a jump of the
        path for whoever hears it: the caller restarts its filters)."""
        held = hold_ms * self.rate / 1000.0 - HALF_TAPS
        self._hold = min(max(held, 0.0), self.max_hold)
        self.engaged = True

    def disengage(self) -> None:
        """Pass frames through again (a jump back to the reference as played)."""
        self.engaged = False
        self._hold = 0.0

    def set_rate(self, ppm: float) -> None:
        """The hold grows by ``ppm`` µs a second (negative: shrinks); 0 holds it still."""
        self._step = ppm * 1e-6

    def would_leave(self, frame_samples: int) -> bool:
        """True when the next frame would take the hold out of 0..``max_hold``: the caller
        engages again from where the path now is."""
        end = self._hold + self._step * frame_samples
        return self.engaged and not 0.0 <= end <= self.max_hold

    def process(self, frame: Int16Array) -> Int16Array:
        """One frame of the speaker feed -> the same length of it, held back (a copy)."""
        n = frame.size
        kept = self._history.size
        x = np.concatenate([self._history, frame.astype(np.float64)])
        self._history = x[-kept:]
        if not self.engaged:
            return frame.copy()
        holds = np.clip(self._hold + self._step * np.arange(n), 0.0, self.max_hold)
        self._hold = float(min(max(holds[-1] + self._step, 0.0), self.max_hold))
        # output sample j is x[kept + j]; it reads the input that much earlier, and HALF_TAPS
        # more (the kernel's right half needs samples up to the read position + HALF_TAPS)
        pos = kept + np.arange(n) - holds - HALF_TAPS
        base = np.floor(pos)
        phase = np.rint((pos - base) * PHASES).astype(np.intp)
        windows = np.lib.stride_tricks.sliding_window_view(x, 2 * HALF_TAPS)
        taps = windows[base.astype(np.intp) - HALF_TAPS + 1]
        out: npt.NDArray[np.float64] = np.einsum("ij,ij->i", taps, _TABLE[phase])
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


__all__ = ["HALF_TAPS", "PHASES", "ReferenceWarp"]
