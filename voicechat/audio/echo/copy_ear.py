"""How much of the raw mic is the speaker's own sound, delayed: a third ear for barge-in (issue 53).

Why: both cancellers learn one echo path and lose it when it moves. A sound server that
re-buffers (PulseAudio's loop re-made, an underrun, a Bluetooth speaker's clock) moves the echo
by tens of milliseconds at once: on issue 53's grid a path that jumped from 30 to 120 ms left
AEC3 removing 2-12 dB of frames it had removed 60 dB of, the linear ear (``linear.py``)
removing nothing, and the speech detector calling the echo speech at 0.15-0.63: the detector
paused 116 ms after the jump and confirmed a barge-in at 416 ms, with nobody talking. An
adaptive filter needs about a second to find a new path; a search does not.

This ear searches: every 10 ms mic frame, the lag (0..``max_lag_ms``) at which the last
``window_ms`` of the mic best matches the speaker feed (``LagCorrelator``, phase transform),
then a short FIR around that lag (``TAPS``: the direct path and the first reflections) fitted by
least squares over the last ``fit_ms``, and how much of the newest 10 ms that fit explains. The
speaker's sound alone, on any delay, is explained almost whole (20-40 dB removed on the
PulseAudio path); a person talking over it is not (a voice 6 dB under the echo: ~7 dB). It
answers ``None`` where it has nothing to say: the speaker silent over the searched span, the
mic digital silence, or not enough audio seen yet.

What the fit leaves of the mic (:meth:`take_residual`, at ``ANALYSIS_RATE``) is a canceller's
output that suppresses nothing: on a simple path the echo alone comes out 20 dB and more under
the mic and a voice at its own level, so the barge-in detector's speech model hears a voice
there that AEC3's suppressor removed (``core/copy_voice.py``). A fit that
adds more than it removes (the path moving under it) leaves the mic itself.

What it cannot do: a real room's echo is a long response, which a few taps only partly fit, so
there the echo alone may read 5-10 dB and this ear says "not a copy"; the detector then decides
as before. So its figure alone is only a veto on frames it explains well (``copy_echo_db`` in
``core/talk_frames.py``), never a reason to call a frame a voice; it is a second ear beside
AEC3's for a short word (``heard_clearly``), and its residual counts only where it explains the
echo alone well. Sans-IO (numpy only); its cost, timed over 800 frames of noise here:
0.25-0.28 ms per 10 ms frame (a search and a fit every second frame); it skips both while
either side is silent.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from voicechat.audio.echo.correlate import ANALYSIS_RATE, LagCorrelator

#: the fitted response: from 1 ms before the peak's lag (the peak of a smeared path is not its
#: start) to 3 ms after it; 32 taps at 8 kHz. More taps buy nothing where the veto matters: on
#: a diffuse synthetic room (direct path 12 dB under its tail) 96 taps explained the echo
#: alone 9 dB, 32 taps 3 dB, both far under the veto's bar, at three times the cost
TAPS_BEFORE = 8
TAPS = 32
#: the speaker feed over the searched span quieter than this (dBFS): nothing to explain
REF_FLOOR_DBFS = -60.0
#: the newest 10 ms of the mic quieter than this: nothing worth explaining
MIC_FLOOR_DBFS = -75.0
#: judged (a search and a fit, ~0.2 ms) every this many 10 ms frames, over the newest 20 ms:
#: a path that jumps is found within 20 ms of its first echo
JUDGE_EVERY = 2
#: the lag the mic is judged against the reference on (``mic_over_reference_db``): held once
#: the search finds it in ``HELD_OF`` of its last ``RECENT_JUDGES`` judgements (within a
#: millisecond), and kept while it is found at all among them and no other lag is held. A voice
#: over the echo moves the search's peak now and then (hts1a's word over a 120 ms echo: 120,
#: 141, 120, 425, 468, 120, 120 ms) while the echo stays where it was
RECENT_JUDGES = 5
HELD_OF = 3
#: ... or at once, the lag of a fit that explains this much of the mic: the echo, found on a
#: path that jumped (a voice is never explained so well where the search strays)
SURE_FIT_DB = 15.0
_FULL_SCALE_SQ = 32768.0**2


def _power(x: npt.NDArray[np.float64]) -> float:
    return float(np.dot(x, x)) / max(1, x.size)


class DelayedCopyEar:
    """Feed the speaker's and the mic's 10 ms frames in step; :meth:`push_mic` returns how many dB
    of the newest mic frame a delayed copy of the speaker explains (``None``: nothing to say)."""

    def __init__(self, rate: int, *, max_lag_ms: int = 700, window_ms: int = 120,
                 fit_ms: int = 120) -> None:
        self._corr = LagCorrelator(rate, window_ms=window_ms, max_lag_ms=max_lag_ms,
                                   sharp=True)
        self._fit = fit_ms * ANALYSIS_RATE // 1000
        self._frame = 10 * JUDGE_EVERY * ANALYSIS_RATE // 1000
        self._ref_floor = _FULL_SCALE_SQ * 10 ** (REF_FLOOR_DBFS / 10)
        self._mic_floor = _FULL_SCALE_SQ * 10 ** (MIC_FLOOR_DBFS / 10)
        self.last_lag_ms: float | None = None
        #: the newest judged 20 ms of the mic over the speaker feed on the lag held (dB, both at
        #: ``ANALYSIS_RATE``): the echo alone reads the path's gain, a voice over it more,
        #: wherever the path has moved (``None``: nothing judged, no lag held, see
        #: ``HELD_OF``, or the reference silent on it). Both in one band: the full-band mic
        #: over this band's reference read fricatives of the echo alone 5 dB over the gain
        self.mic_over_reference_db: float | None = None
        self._recent: deque[float | None] = deque(maxlen=RECENT_JUDGES)
        self._held: float | None = None
        self._frames = 0
        self._last: float | None = None
        #: what the fit leaves of the mic, at ``ANALYSIS_RATE``, since the last
        #: :meth:`take_residual` (the mic itself where there is nothing to explain)
        self._residual: list[npt.NDArray[np.float64]] = []

    def take_residual(self) -> npt.NDArray[np.int16] | None:
        """The mic with the fitted copy of the speaker taken out, since the last call, at
        ``ANALYSIS_RATE`` (``None``: nothing new)."""
        if not self._residual:
            return None
        out = np.concatenate(self._residual)
        self._residual.clear()
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    def push_far(self, pcm: npt.NDArray[np.int16]) -> None:
        self._corr.push_ref(pcm)

    def push_mic(self, pcm: npt.NDArray[np.int16]) -> float | None:
        """One 10 ms mic frame -> dB of the newest 20 ms that a delayed copy of the speaker
        explains. Judged every ``JUDGE_EVERY`` frames (the detector's frames are 20 ms); the
        frame in between gets the last figure."""
        corr = self._corr
        corr.push_sig(pcm)
        if not corr.ready:
            return None
        self._frames += 1
        if self._frames % JUDGE_EVERY and self._frames > 1:
            return self._last
        self._last = self._judge()
        return self._last

    def _judge(self) -> float | None:
        corr = self._corr
        sig, ref = corr.signal, corr.reference
        newest = sig[-self._frame:]
        self.mic_over_reference_db = None
        if _power(newest) < self._mic_floor or _power(ref) < self._ref_floor:
            self._residual.append(newest.copy())
            return None
        peak = corr.peak()
        self._recent.append(None if peak is None else peak.lag_ms)
        self._hold()
        held = self._held
        if held is not None:
            self.mic_over_reference_db = self._mic_over_reference(sig, ref, held)
        if peak is None:
            self._residual.append(newest.copy())
            return None
        self.last_lag_ms = peak.lag_ms
        explained = self._explained_db(sig, ref, round(peak.lag_ms * ANALYSIS_RATE / 1000))
        if explained is not None and explained >= SURE_FIT_DB and held != peak.lag_ms:
            self._recent.extend([peak.lag_ms] * HELD_OF)
            self._held = peak.lag_ms
            self.mic_over_reference_db = self._mic_over_reference(sig, ref, peak.lag_ms)
        return explained

    def held_lag_ms(self) -> float | None:
        """The lag held (see ``HELD_OF``), or ``None``."""
        return self._held

    def _hold(self) -> None:
        found = [lag for lag in self._recent if lag is not None]
        for lag in found:
            if sum(abs(other - lag) <= 1.0 for other in found) >= HELD_OF:
                self._held = lag
                return
        held = self._held
        if held is not None and not any(abs(lag - held) <= 1.0 for lag in found):
            self._held = None

    def _mic_over_reference(self, sig: npt.NDArray[np.float64], ref: npt.NDArray[np.float64],
                            lag_ms: float) -> float | None:
        """The newest judged frame of the mic over the reference ``lag_ms`` before it (dB);
        ``None`` where that reference is silent (under ``REF_FLOOR_DBFS``): there is no
        yardstick. A speaker starting again after a gap (a loaded machine's 10 ms loop
        underran every second or so) has its first echo on the held lag over the gap's
        silence, and read 88 dB over the echo's gain; replayed (issue 53, seed 90), that
        confirmed a barge-in with nobody talking."""
        corr, frame = self._corr, self._frame
        lag = round(lag_ms * ANALYSIS_RATE / 1000)
        end = corr.max_lag + corr.window - lag  # ref[max_lag + window - d] lines up with sig's end
        reference = _power(ref[end - frame:end])
        if reference < self._ref_floor:
            return None
        return 10.0 * float(np.log10(max(_power(sig[-frame:]), 1e-3) / reference))

    def _live_span(self, y: npt.NDArray[np.float64]) -> int | None:
        """How much of the fitted stretch to fit: from after its last 10 ms of digital silence.
        A sound server re-making its loop leaves the mic silent for a moment (90 ms when the
        grid's loop jumped to 120 ms); fitted over, that silence held the fit's gain down and
        the echo on its new delay read 3-12 dB for 100 ms, under the veto, and was paused on.
        ``None``: less than 40 ms of live mic left to fit."""
        block = ANALYSIS_RATE // 100
        blocks = y[y.size % block:].reshape(-1, block)
        dead = np.flatnonzero((blocks * blocks).mean(axis=1) < 1.0)
        if dead.size == 0:
            return y.size
        live = (blocks.shape[0] - 1 - int(dead[-1])) * block
        return live if live >= 4 * block else None

    def _explained_db(self, sig: npt.NDArray[np.float64], ref: npt.NDArray[np.float64],
                      lag: int) -> float | None:
        """Fit ``TAPS`` taps from ``TAPS_BEFORE`` before ``lag`` over the last ``fit`` samples;
        dB of the newest frame the fit removes (mic power over residual power). The normal
        equations, lightly regularised (a near-silent reference makes them singular): ~80 us
        where ``lstsq``'s SVD took ~700. (Taking their matrix as Toeplitz, the reference's
        autocorrelation, was cheaper and wrong by 50 dB on a pure delay of low-passed noise.)"""
        corr = self._corr
        fit, window, max_lag, frame = self._fit, corr.window, corr.max_lag, self._frame
        first = min(max(0, lag - TAPS_BEFORE), max_lag - TAPS + 1)
        live = self._live_span(sig[window - fit:])
        if live is None:
            self._residual.append(sig[-frame:].copy())
            return None
        fit = live
        y = sig[window - fit:]
        # the reference at delay d lines up with y[n] at ref[max_lag + window - fit - d + n]
        starts = max_lag + window - fit - (first + np.arange(TAPS))
        cols = np.lib.stride_tricks.sliding_window_view(ref, fit)[starts]
        gram = cols @ cols.T
        gram.flat[:: TAPS + 1] += 1e-6 * float(np.trace(gram)) / TAPS + 1e-9
        weights = np.linalg.solve(gram, cols @ y)
        residual = y[fit - frame:] - weights @ cols[:, fit - frame:]
        mic = _power(y[fit - frame:])
        # a fit that adds more than it removes (the path moving under it) is no canceller:
        # what it leaves is then the mic itself
        self._residual.append(residual if _power(residual) <= mic else y[fit - frame:].copy())
        left = max(_power(residual), mic * 1e-6)  # 60 dB: as good as a fit gets
        return 10.0 * float(np.log10(mic / left))
