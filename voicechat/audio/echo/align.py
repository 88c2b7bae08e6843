"""Line the far-end reference up with the echo by stream time, not by when callbacks ran.

Sound servers and PortAudio buffer a lot: through the ALSA ``pulse`` plugin we measured 150-400
ms between handing a block to the speaker and hearing it in the mic. WebRTC's AEC3 searches only
a limited delay range by itself and re-adapts whenever the alignment moves, so the stage holds the
reference back by the estimated delay minus a safety margin (the echo must never arrive *before*
its reference) and AEC3 only has the remaining few tens of milliseconds to find.

How far "behind" is must not depend on when the audio callbacks happen to run. Counting how many
speaker blocks had arrived when a mic block came in (what this module did first) moved the
alignment by up to the speaker's whole buffer whenever the sound server asked for blocks in
bursts, and AEC3 fell from 70 dB to single digits on a busy machine. So every 10 ms frame gets a
*stream time*: the time its first sample reaches the DAC (speaker) or left the ADC (mic). A
:class:`StreamClock` per side counts samples from the stream's start (smooth: 10 ms per frame)
and anchors the count to PortAudio's callback timestamps (``outputBufferDacTime`` /
``inputBufferAdcTime``), following them slowly for clock drift and at once when they jump (an
underrun or an overflow: the device played silence or dropped input, and the count alone would
be off by that much for good). Without timestamps (files, tests, a host API that gives none) the
count alone is the clock, both streams starting at zero.

:class:`FarTimeline` then releases far frames by time: to the delay estimator the frame that
plays at the mic frame's own time ("now" is the same instant in both rings), to the APM the one
``lag`` earlier.

Time the speaker's stream left empty played silence, and the APM is told so
(:meth:`FarTimeline.fill_silence`). Through the ALSA ``pulse`` plugin one underrun stops the
speaker's callbacks for 1.5-2 s (PortAudio waits out its poll timeouts; measured by stopping
the sound server for 0.3 s); a machine that keeps stalling gets six blocks every two seconds.
Fed nothing for that span, AEC3 kept cancelling against the last reference it had, the
answer's final syllable, and took the user's next question for echo: 22 and 17 of 82 speech
blocks got through in two recorded runs, and the transcripts came out empty. With the span
given as silence, 75 and 71 of 82 got through (the same runs, replayed).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]


class StreamClock:
    """Sample count -> stream time (s), anchored to callback timestamps when there are any."""

    def __init__(self, rate: int, *, jump_s: float = 0.004, follow: float = 0.02) -> None:
        self.rate = rate
        self.jump_s = jump_s  # a timestamp this far off the count is a discontinuity
        self.follow = follow  # share of a small error taken per block (clock drift)
        self.t0 = 0.0
        self.stamped = False  # anchored to timestamps (else the count is the clock)
        self.pos = 0  # samples counted so far
        self.jumps = 0  # discontinuities followed (underruns, overflows, re-buffering)

    def time_at(self, pos: int) -> float:
        return self.t0 + pos / self.rate

    def block(self, samples: int, stamp: float | None) -> None:
        """A block of ``samples`` starts now; ``stamp``: its first sample's stream time."""
        if stamp is not None and stamp > 0:
            if not self.stamped:
                self.stamped = True
                self.t0 = stamp - self.pos / self.rate
            else:
                error = stamp - self.time_at(self.pos)
                if abs(error) > self.jump_s:
                    self.t0 += error
                    self.jumps += 1
                else:
                    self.t0 += self.follow * error
        self.pos += samples


FRAME_S = 0.01
#: How far the mic's time may run past the speaker's last frame before the span counts as
#: silence. The speaker's blocks reach the stage ahead of the DAC by its buffer (20-150 ms), so
#: a healthy stream is never behind the mic at all; the grace only absorbs stamp jitter.
GAP_GRACE_S = 0.1


class FarTimeline:
    """Far frames with their stream times, released to the estimator and (``lag`` later) the APM."""

    def __init__(
        self, *, margin_ms: int = 30, hysteresis_frames: int = 2, max_frames: int = 300
    ) -> None:
        self.margin_ms = margin_ms
        self.hysteresis_frames = hysteresis_frames
        self.max_frames = max_frames
        self._for_apm: deque[tuple[float, Int16Array]] = deque()
        self._for_estimator: deque[tuple[float, Int16Array]] = deque()
        self.lag_frames = 0
        self.dropped = 0  # frames the mic never came for (queue full), never fed to the APM
        self._latest: float | None = None  # stream time of the newest frame, real or silence
        self._silent_until: float | None = None  # end of the newest span filled with silence
        self.silence_frames = 0  # frames of silence given for spans the speaker left empty
        self.overlapped = 0  # speaker frames dropped: their span had already been given silence
        self.apm_frames = 0  # frames released to the APM in all (see ``trace_view``)
        self._asked_at: float | None = None  # the mic frame's time the APM last asked for

    def follow(self, delay_ms: float | None) -> None:
        """Adopt a new delay estimate (None: none yet, keep the current lag)."""
        if delay_ms is None:
            return
        target = max(0, int((delay_ms - self.margin_ms) // 10))
        if abs(target - self.lag_frames) >= self.hysteresis_frames:
            self.lag_frames = min(target, self.max_frames - 1)

    @property
    def lag_ms(self) -> int:
        return self.lag_frames * 10


    def push(self, t: float, frame: Int16Array) -> None:
        if self._silent_until is not None and t < self._silent_until - FRAME_S / 2:
            # stamped for time already given to the APM as silence: feeding it as well would
            # put two frames where one played and shift the reference for good
            self.overlapped += 1
            return
        self._queue(t, frame)

    def _queue(self, t: float, frame: Int16Array) -> None:
        for queue in (self._for_apm, self._for_estimator):
            if len(queue) >= self.max_frames:
                queue.popleft()
                self.dropped += queue is self._for_apm
            queue.append((t, frame))
        self._latest = t if self._latest is None else max(self._latest, t)

    def fill_silence(self, now: float, silence: Int16Array) -> int:
        """Silence for the stream time up to ``now - GAP_GRACE_S`` that no speaker frame
        covers (an underrun, a stalled stream; see the module doc). Only on stream times
        anchored to timestamps: counted times cannot tell a gap from a late callback. Nothing
        before the speaker's first frame. Returns the frames added."""
        latest = self._latest
        if latest is None:
            return 0
        until = now - GAP_GRACE_S
        missing = int((until - latest) / FRAME_S + 1e-6)
        if missing <= 0:
            return 0
        if missing > self.max_frames:  # longer than the queues hold: only the newest part
            latest += (missing - self.max_frames) * FRAME_S
            missing = self.max_frames
        for k in range(1, missing + 1):
            self._queue(latest + k * FRAME_S, silence)
        self._silent_until = latest + (missing + 1) * FRAME_S
        self.silence_frames += missing
        return missing

    @staticmethod
    def _due(queue: deque[tuple[float, Int16Array]], until: float) -> list[Int16Array]:
        out = []
        while queue and queue[0][0] <= until:
            out.append(queue.popleft()[1])
        return out

    def for_estimator(self, now: float) -> list[Int16Array]:
        """Far frames that start playing at or before ``now`` (the mic frame's time)."""
        return [frame for _, frame in self.for_estimator_timed(now)]

    def for_estimator_timed(self, now: float) -> list[tuple[float, Int16Array]]:
        """The same, each with its stream time."""
        queue, out = self._for_estimator, []
        while queue and queue[0][0] <= now + 1e-4:
            out.append(queue.popleft())
        return out

    def for_apm(self, now: float) -> list[Int16Array]:
        """Far frames due at the APM for the mic frame at ``now``: ``lag`` behind it."""
        due = self._due(self._for_apm, now - self.lag_frames / 100 + 1e-4)
        self.apm_frames += len(due)
        self._asked_at = now
        return due

    def trace_view(self) -> dict[str, float | int | None]:
        """How the reference stood against the mic at the newest mic frame, for the barge-in
        trace (``runtime/bargein_trace.py``): how far the speaker's feed ran ahead of the mic
        (``far_lead_ms``; below zero the cancellers had nothing of what was playing, and a
        reference level repeated in the trace is the last one they had), how far the APM's
        reference is held back (``lag_ms``), and how many reference frames the APM has been
        given in all (``apm_far_frames``: where it stops rising while the mic's frames go on,
        the APM was fed nothing new; a lag that rises does that for as many frames)."""
        latest, now = self._latest, self._asked_at
        lead = None if latest is None or now is None else round(1000 * (latest - now), 1)
        return {"far_lead_ms": lead, "lag_ms": self.lag_ms, "apm_far_frames": self.apm_frames}
