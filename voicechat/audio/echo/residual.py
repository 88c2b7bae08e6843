"""Residual echo: is the mic, after echo cancellation, still following the far end?

When it is, the server's VAD hears the assistant's own voice and, with barge-in on, the client
interrupts itself in a loop (the failure issue 10 measured: 16 barge-ins in one answer). The
client should stop that and say so: use headphones, or --no-barge-in. This detector is the
judge. It works on audio alone (no clock, no I/O): give it every block sent to the speaker and
every block of processed mic audio, and read :attr:`leaking`, or the verdict ``update`` returns
when it changes.

The rule: every ``hop`` it correlates the last second of processed mic audio against the far
end over lags 0..max_delay. A window *leaks* when the far end was playing, the mic carries
enough energy for a VAD to notice (``min_level_dbfs``), and the two are alike (Pearson
coefficient at the best lag >= ``min_strength``). ``leaking`` turns on after ``on_windows``
leaking windows in a row and off after ``off_windows`` clean ones, so a single burst neither
raises nor clears the alarm. The user talking over the assistant is not echo: their voice is
unrelated to the far end, so the coefficient stays low.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voicechat.audio.echo.correlate import LagCorrelator, LagPeak


@dataclass(frozen=True)
class ResidualVerdict:
    """A change of state; ``peak`` is the evidence (lag, coefficient, levels)."""

    leaking: bool
    peak: LagPeak | None
    #: set when the low-ERLE guard (erle.py) is what found the leak: its last window's ERLE
    low_erle_db: float | None = None


class ResidualEchoDetector:
    """Decides whether echo still leaks into the (processed) mic signal."""

    def __init__(
        self,
        rate: int,
        *,
        max_delay_ms: int = 500,
        hop_ms: int = 250,
        min_strength: float = 0.3,
        min_level_dbfs: float = -50.0,
        far_floor_dbfs: float = -45.0,
        on_windows: int = 3,
        off_windows: int = 8,
    ) -> None:
        self._corr = LagCorrelator(rate, max_lag_ms=max_delay_ms)
        self._hop = rate * hop_ms // 1000
        self._since = 0
        self.min_strength = min_strength
        self.min_level_dbfs = min_level_dbfs
        self.far_floor_dbfs = far_floor_dbfs
        self.on_windows = on_windows
        self.off_windows = off_windows
        self._run = 0  # consecutive windows disagreeing with the current state
        self.leaking = False
        self.last_peak: LagPeak | None = None
        self.windows = 0  # windows judged (the far end was playing)
        self.leaking_windows = 0

    def push_far(self, pcm: npt.NDArray[np.int16]) -> None:
        self._corr.push_ref(pcm)

    def window_leaks(self, peak: LagPeak) -> bool:
        return peak.strength >= self.min_strength and peak.sig_dbfs >= self.min_level_dbfs

    def update(self, processed: npt.NDArray[np.int16], *, judge: bool = True
               ) -> ResidualVerdict | None:
        """Feed processed mic audio; returns a verdict when :attr:`leaking` flips, else None.

        ``judge=False``: the caller knows the mic now carries the user talking over the far
        end (the local barge-in detector says so); the window is neither judged nor counted,
        since two voices can correlate for a moment (the same synthetic voice did, 0.37)."""
        self._corr.push_sig(processed)
        self._since += processed.size
        if self._since < self._hop:
            return None
        self._since = 0
        peak = self._corr.peak()
        self.last_peak = peak  # still measured: the barge-in detector reads it
        if not judge:
            self._run = 0
            return None
        if peak is None or peak.ref_dbfs < self.far_floor_dbfs:
            return None  # the far end was quiet: nothing to judge, keep the state
        self.windows += 1
        leaks = self.window_leaks(peak)
        self.leaking_windows += leaks
        if leaks == self.leaking:
            self._run = 0
            return None
        self._run += 1
        if self._run < (self.on_windows if leaks else self.off_windows):
            return None
        self._run = 0
        self.leaking = leaks
        return ResidualVerdict(leaking=leaks, peak=peak)
