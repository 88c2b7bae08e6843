"""How strongly, and at what lag, one signal follows a reference (the far end), sans-IO.

Both the stream-delay estimate (raw mic against the speaker feed) and the residual-echo check
(AEC output against the speaker feed) ask the same question, so they share this class. Both
signals are low-passed (a triangular, i.e. twice box-car, filter: cheap enough to run on every
10 ms frame, and its -26 dB side lobes are plenty for locating a peak) and decimated to 8 kHz
(0.125 ms resolution is plenty for a delay hint, and the FFTs stay small), kept in ring buffers
of their last ``window + max_lag``, and compared by a phase-transform-weighted cross-correlation:
the phase transform whitens speech, whose pitch would otherwise give a comb of near-equal peaks,
so the true lag stands out. The strength reported at that lag is a plain Pearson coefficient
(1.0: an exact delayed copy; around 0.0: unrelated, e.g. the user talking over silence), which
is what the thresholds are set on.

Feed it at equal paces: ``push_ref`` with every sample sent to the speaker (silence included)
and ``push_sig`` with every sample captured, so that "now" is the same instant in both rings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ANALYSIS_RATE = 8000
_EPS = 1e-9


@dataclass(frozen=True)
class LagPeak:
    """The best lag of the signal behind the reference, and how alike they are there."""

    lag_ms: float
    strength: float  # Pearson coefficient at that lag, -1..1
    ref_dbfs: float  # level of the reference over the compared stretch
    sig_dbfs: float  # level of the signal over the window
    #: the lag between samples, from a parabola through the peak and its neighbours: what a
    #: drift of 0.3 ms a second is measured with (drift.py); ``lag_ms`` itself is whole samples
    fine_lag_ms: float | None = None


def dbfs(x: npt.NDArray[np.float64]) -> float:
    if x.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(x * x)))
    return 20.0 * float(np.log10(max(rms, _EPS) / 32768.0))


class Decimator:
    """``rate`` -> 8 kHz by an integer factor, streaming: triangular low-pass, keep every n-th."""

    def __init__(self, rate: int, *, sharp: bool = False) -> None:
        if rate % ANALYSIS_RATE:
            raise ValueError(f"analysis needs a multiple of {ANALYSIS_RATE} Hz, got {rate}")
        self.factor = rate // ANALYSIS_RATE
        box = np.ones(self.factor) / self.factor
        self._kernel = np.convolve(box, box)
        if sharp and self.factor > 1:
            # a Hann-windowed sinc cut at 3.5 kHz (10 factors long): what folds back from over
            # 4 kHz is then ~50 dB down, not ~26, so a delay between two 8 kHz samples stays
            # a linear filter a short fit can model (the copy ear; a fricative is mostly
            # over 4 kHz, and its aliases do not follow a fractional delay)
            n = 10 * self.factor + 1
            k = np.arange(n) - n // 2
            cut = 3500.0 / rate
            sinc = 2 * cut * np.sinc(2 * cut * k) * np.hanning(n + 2)[1:-1]
            self._kernel = sinc / sinc.sum()
        self._hist = np.zeros(self._kernel.size - 1)
        self._phase = 0  # index into the next block of the next sample to keep

    def process(self, pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.float64]:
        if self.factor == 1:
            return pcm.astype(np.float64)
        x = np.concatenate([self._hist, pcm.astype(np.float64)])
        y = np.convolve(x, self._kernel, mode="valid")  # y[i] ends at input sample i (this block)
        out = y[self._phase :: self.factor]
        self._phase = (self._phase - y.size) % self.factor
        self._hist = x[-self._hist.size :]
        return out


class _Ring:
    def __init__(self, size: int) -> None:
        self.data = np.zeros(size, dtype=np.float64)
        self.filled = 0

    def push(self, x: npt.NDArray[np.float64]) -> None:
        n = x.size
        if n == 0:
            return
        if n >= self.data.size:
            self.data[:] = x[-self.data.size :]
        else:
            self.data[:-n] = self.data[n:]
            self.data[-n:] = x
        self.filled = min(self.data.size, self.filled + n)


class LagCorrelator:
    """Ring buffers of a reference and a signal at 8 kHz, and their best lag in 0..max_lag."""

    def __init__(self, rate: int, *, window_ms: int = 1000, max_lag_ms: int = 500,
                 sharp: bool = False) -> None:
        self.window = window_ms * ANALYSIS_RATE // 1000
        self.max_lag = max_lag_ms * ANALYSIS_RATE // 1000
        self._ref_in = Decimator(rate, sharp=sharp)
        self._sig_in = Decimator(rate, sharp=sharp)
        self._ref = _Ring(self.window + self.max_lag)
        self._sig = _Ring(self.window)
        n = 1
        while n < self.window + self.max_lag:  # lags 0..max_lag never wrap around
            n *= 2
        self._nfft = n

    def push_ref(self, pcm: npt.NDArray[np.int16]) -> None:
        self._ref.push(self._ref_in.process(pcm))

    def push_sig(self, pcm: npt.NDArray[np.int16]) -> None:
        self._sig.push(self._sig_in.process(pcm))

    @property
    def signal(self) -> npt.NDArray[np.float64]:
        """The signal's ring at 8 kHz, oldest first (``window`` samples; read, never write)."""
        return self._sig.data

    @property
    def reference(self) -> npt.NDArray[np.float64]:
        """The reference's ring at 8 kHz, oldest first (``window + max_lag`` samples): its
        sample ``max_lag + i`` is played at the signal's sample ``i``."""
        return self._ref.data

    @property
    def ready(self) -> bool:
        """Both rings are full (about ``window + max_lag`` of audio seen)."""
        return self._ref.filled == self._ref.data.size and self._sig.filled == self._sig.data.size

    def peak(self) -> LagPeak | None:
        """The lag (0..max_lag) at which the signal best matches the reference; None until ready
        or when either side is digital silence."""
        if not self.ready:
            return None
        sig, ref = self._sig.data, self._ref.data
        s = sig - sig.mean()
        r = ref - ref.mean()
        if not s.any() or not r.any():
            return None
        spec = np.fft.rfft(r, self._nfft) * np.conj(np.fft.rfft(s, self._nfft))
        spec /= np.abs(spec) ** 0.8 + _EPS  # (partial) phase transform: whiten, keep some weight
        xc = np.fft.irfft(spec, self._nfft)
        # xc[k] = sum_t s[t] r[t + k]; the signal lags the reference by d when k = max_lag - d
        k = int(np.argmax(xc[: self.max_lag + 1]))
        lag = self.max_lag - k
        fine = float(lag)
        if 0 < k < self.max_lag:
            left, mid, right = (float(v) for v in xc[k - 1 : k + 2])
            bend = left - 2.0 * mid + right
            if bend < 0:  # a true maximum: the vertex lies within half a sample of k
                fine = lag - 0.5 * (left - right) / bend
        seg = r[k : k + self.window]
        denom = float(np.sqrt(np.dot(s, s) * np.dot(seg, seg)))
        strength = float(np.dot(s, seg)) / denom if denom > 0 else 0.0
        return LagPeak(
            lag_ms=lag * 1000.0 / ANALYSIS_RATE,
            strength=strength,
            ref_dbfs=dbfs(ref[k : k + self.window]),
            sig_dbfs=dbfs(sig),
            fine_lag_ms=fine * 1000.0 / ANALYSIS_RATE,
        )
