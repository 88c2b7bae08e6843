"""The barge-in detector's ears inside the echo stage: the linear ear and the copy ear.

Why apart from the stage (``stage.py``): the stage cancels the echo for whoever listens to the
mic; these ears only tell the local barge-in detector what the canceller cannot, a voice under
the echo or an echo on a path that moved (issues 38 and 53). They are most of the mic
callback's work, run only while that detector does (``EchoCanceller.ears``), and hear the
speaker's reference re-timed onto the mic's clock where AEC3 keeps it as played.

The stage hands each speaker frame it lines up (``hear_far``), each delay estimate
(``follow_drift``) and each mic frame (``hear_mic``) in stream time; the ears answer with their
figures for the frame's evidence. Sans-IO: no threads, no clocks of their own (the stage holds
the lock and the stream times).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from voicechat.audio.echo.copy_ear import DelayedCopyEar
from voicechat.audio.echo.correlate import LagPeak
from voicechat.audio.echo.erle import energy
from voicechat.audio.echo.framing import Reframer
from voicechat.audio.echo.linear import LinearEcho, LinearUnavailable
from voicechat.audio.echo.retime import ReferenceRetimer

#: the linear ear (linear.py) runs at 16 kHz, where the speech detector and the voice are
LINEAR_RATE = 16000
#: the linear ear hears the mic this many 10 ms frames late, and takes for each mic frame the
#: speaker's frame of the same stream time (within ``LINEAR_EARLY_S`` / ``LINEAR_LATE_S``), one
#: after the other: the speaker's frames reach the mic side by stream time, up to a frame or
#: two at once when the two streams' callbacks jitter, so taking them in arrival order would
#: shift the reference by a frame now and then, and a reference later than its echo is one no
#: filter can cancel with. 20 ms later to hear a voice.
LINEAR_MIC_DELAY_FRAMES = 2
LINEAR_LATE_S = 0.005  # a reference frame this much older than its mic frame: skipped
LINEAR_EARLY_S = 0.015  # ... this much newer: not yet (silence instead)
#: the room's tail the filter must still hold past the echo's delay: with the delay estimate
#: later than ``filter_ms`` less this, the linear ear cannot cancel and says nothing
LINEAR_TAIL_MS = 50
#: an echo later than the filter reaches (a sound server's 200 ms, issue 53) is brought into it:
#: the reference is held back by a bulk delay that puts the echo this far into the filter, and
#: moved only when the delay estimate leaves the filter's span (each move restarts the filter,
#: which then converges again in about a second)
LINEAR_HEAD_MS = 30
LINEAR_MIN_HEAD_MS = 10

Int16Array = npt.NDArray[np.int16]
#: what the ears say of one mic frame: the linear ear's residual power and the power of the
#: mic it heard (``None``: no ear, or an echo later than it reaches), how many dB of the mic a
#: delayed copy of the speaker explains, what the copy ear's fit left of the mic since the
#: last frame, and the mic over the reference on the lag the copy ear holds
EarFigures = tuple[float | None, float | None, float | None, Int16Array | None, float | None]


class BargeInEars:
    """The linear ear and the copy ear, on one reference re-timed onto the mic's clock."""

    def __init__(self, rate: int, *, max_delay_ms: int, linear_filter_ms: int,
                 follow_drift: bool) -> None:
        self._linear: LinearEcho | None = None
        #: why the linear ear is off (None: it runs, or was not asked for)
        self.linear_unavailable: str | None = None
        if linear_filter_ms > 0:
            try:
                self._linear = LinearEcho(LINEAR_RATE, filter_ms=linear_filter_ms)
            except LinearUnavailable as exc:
                self.linear_unavailable = str(exc)
        #: the third ear (copy_ear.py): is the raw mic the speaker's sound on any delay?
        self._copy = DelayedCopyEar(rate, max_lag_ms=max_delay_ms)
        self._lin_near = Reframer(rate, 1, LINEAR_RATE)
        self._lin_far = Reframer(rate, 1, LINEAR_RATE)
        self._silence = np.zeros(rate // 100, dtype=np.int16)
        #: the speaker's frames (stream time, 10 ms at ``rate``) and the mic's, delayed
        self._lin_refs: deque[tuple[float, Int16Array]] = deque(maxlen=max_delay_ms // 10 + 50)
        self._lin_mics: deque[tuple[float, Int16Array]] = deque()
        #: how far the linear ear's reference is held back (see ``LINEAR_HEAD_MS``), and how
        #: often it moved
        self.linear_bulk_ms = 0
        self.linear_bulk_moves = 0
        #: the ears' reference re-timed onto the mic's clock where the delay drifts (retime.py):
        #: the ears hear a path that holds still; AEC3 and the leak judges keep the reference
        #: as played
        self._retimer = ReferenceRetimer(rate, enabled=follow_drift)
        self._lin_power: tuple[float, float] | None = None

    @property
    def warp_starts(self) -> int:
        """Times the reference started over on a new hold (retime.py)."""
        return self._retimer.starts

    @property
    def drift_ppm(self) -> float | None:
        """The clock skew the reference is warped by (``None``: none found)."""
        return self._retimer.ppm

    def hear_far(self, t: float, far: Int16Array) -> None:
        """One speaker frame at stream time ``t``, as the stage lines it up for the mic."""
        heard = self._retimer.process(far)
        self._copy.push_far(heard)
        if self._linear is not None:
            self._lin_refs.append((t, heard))

    def follow_drift(self, now: float, peak: LagPeak | None, trusted: bool,
                     delay: float | None, frame_samples: int) -> None:
        """The delay estimator's last peak and estimate to the retimer; the linear ear's filter
        restarted when the reference it hears jumped."""
        if self._retimer.follow(now, peak, trusted, delay, frame_samples) \
                and self._linear is not None:
            self._linear.reset()  # its taps were for the reference before the jump

    def hear_mic(self, now: float, frame: Int16Array, delay: float | None) -> EarFigures:
        """One mic frame at stream time ``now``, with the stage's delay estimate (ms)."""
        linear = self._linear_ear(
            now, frame, None if delay is None else delay - self._retimer.hold_ms)
        return (None if linear is None else linear[0],
                None if linear is None else linear[1],
                self._copy.push_mic(frame),
                self._copy.take_residual(),
                self._copy.mic_over_reference_db)

    def _linear_ear(self, now: float, frame: Int16Array, delay: float | None
                    ) -> tuple[float, float] | None:
        """The linear ear's residual power and that of the mic it heard (None: no ear, or an
        echo later than its filter reaches). It runs ``LINEAR_MIC_DELAY_FRAMES`` behind the
        mic, on the speaker's frame of the same stream time."""
        linear = self._linear
        if linear is None:
            return None
        self._lin_mics.append((now, frame))
        if len(self._lin_mics) <= LINEAR_MIC_DELAY_FRAMES:
            return None
        t_mic, mic = self._lin_mics.popleft()
        reach = linear.filter_ms - LINEAR_TAIL_MS
        self._follow_linear_bulk(delay, reach)
        target = t_mic - self.linear_bulk_ms / 1000.0
        refs = self._lin_refs
        while refs and refs[0][0] < target - LINEAR_LATE_S:
            refs.popleft()
        ref = refs.popleft()[1] if refs and refs[0][0] <= target + LINEAR_EARLY_S else self._silence
        for near, far in zip(self._lin_near.push(mic), self._lin_far.push(ref), strict=False):
            self._lin_power = (energy(linear.process(near, far)), energy(near))
        if delay is not None and not 0 <= delay - self.linear_bulk_ms <= reach:
            return None
        return self._lin_power

    def _follow_linear_bulk(self, delay: float | None, reach: int) -> None:
        """Hold the linear ear's reference back so the echo sits ``LINEAR_HEAD_MS`` into its
        filter, moving it only when the delay estimate leaves the filter's useful span."""
        if delay is None or self._linear is None:
            return
        into = delay - self.linear_bulk_ms
        if into <= reach and (into >= LINEAR_MIN_HEAD_MS or (self.linear_bulk_ms == 0
                                                             and into >= 0)):
            return  # (no bulk at all for a short path: the filter starts at the mic's time)
        bulk = max(0, 10 * round((delay - LINEAR_HEAD_MS) / 10))
        if bulk != self.linear_bulk_ms:
            self.linear_bulk_ms = bulk
            self.linear_bulk_moves += 1
            self._linear.reset()  # its taps were for the old alignment
