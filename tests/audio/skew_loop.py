"""An echo path PulseAudio's loop cannot make: a clock skew between speaker and mic (issue 53).

For the barge-in grid (``bench/bench_bargein_grid.py``'s ``skew±300`` cells) and the skewed-
clock test of ``test_aec_barge_in_paths.py``.

Two null sinks on one PulseAudio daemon run on one clock, so ``module-loopback`` (fixed or
adaptive) never shows the skew between a speaker's and a mic's crystals. ``SkewLoop`` makes it
in the bench process instead: a PortAudio input stream on ``speaker.monitor`` and an output
stream into ``micfeed``, with a delay line between them read at ``1 - ppm·1e-6`` of the write
rate (linear interpolation). That is the speaker's audio as a mic whose clock runs ``ppm``
faster hears it: stretched in time, so the echo's delay grows by ``ppm`` µs every second
(shrinks for a negative ``ppm``), without end, as on a device pair that nothing resamples. The
delay line starts ``start_ms`` long; the streams' own buffering (PortAudio and the daemon, tens
of ms) comes on top, which is why the grid prints the delay the canceller tracked. When the
delay reaches ``MIN_MS`` or ``MAX_MS`` the loop re-centres to its start (a jump, as a driver
that finally drops or repeats a buffer does), counted in ``recentres``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

RATE = 48000
BLOCK = 480
MIN_MS = 5.0
MAX_MS = 400.0


class SkewLoop:
    """``speaker.monitor`` → delay line drifting at ``ppm`` → ``micfeed``, at ``gain_db``."""

    def __init__(self, *, ppm: float, start_ms: float, gain_db: float) -> None:
        import sounddevice as sd

        self.ppm = ppm
        self.start_ms = start_ms
        self._gain = 10 ** (gain_db / 20)
        self._step = 1.0 - ppm * 1e-6  # input samples consumed per output sample
        self._buf = np.zeros(RATE * 4, dtype=np.float32)  # a ring: 4 s of the speaker
        self._written = 0  # input samples ever written
        self._read = -start_ms * RATE / 1000  # fractional input position of the next output
        self._lock = threading.Lock()
        self.recentres = 0
        self._playing = False
        self.delays_ms: list[float] = []  # the delay line's length, once a second
        # the streams take their devices from these when opened (the speaker's monitor in, the
        # mic's sink out: the default sink is the speaker, a loop onto itself)
        devices = {"PULSE_SOURCE": "speaker.monitor", "PULSE_SINK": "micfeed"}
        saved = {name: os.environ.get(name) for name in devices}
        os.environ.update(devices)
        try:
            self._in = sd.InputStream(samplerate=RATE, channels=1, dtype="float32",
                                      blocksize=BLOCK, latency="low", callback=self._record)
            self._out = sd.OutputStream(samplerate=RATE, channels=1, dtype="float32",
                                        blocksize=BLOCK, latency="low", callback=self._play)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self._in.start()
        self._out.start()

    def _record(self, data: Any, frames: int, time_info: Any, status: Any) -> None:
        with self._lock:
            at = self._written % self._buf.size
            first = min(frames, self._buf.size - at)
            self._buf[at : at + first] = data[:first, 0]
            self._buf[: frames - first] = data[first:frames, 0]
            self._written += frames

    def _play(self, out: Any, frames: int, time_info: Any, status: Any) -> None:
        with self._lock:
            if not self._playing and self._written:  # the line starts start_ms long
                self._playing = True
                self._read = self._written - self.start_ms * RATE / 1000
            pos = self._read + self._step * np.arange(frames)
            delay_ms = (self._written - pos[0]) * 1000 / RATE
            if not MIN_MS <= delay_ms <= MAX_MS and self._written:
                self.recentres += 1
                pos = self._written - self.start_ms * RATE / 1000 + self._step * np.arange(frames)
            base = np.floor(pos).astype(np.int64)
            frac = (pos - base).astype(np.float32)
            valid = (base >= 0) & (base + 1 < self._written)
            idx = base % self._buf.size
            nxt = (base + 1) % self._buf.size
            sample = self._buf[idx] * (1 - frac) + self._buf[nxt] * frac
            out[:, 0] = np.where(valid, sample * self._gain, 0.0)
            self._read = float(pos[-1] + self._step)
            if self._written // RATE > len(self.delays_ms):
                self.delays_ms.append(round(delay_ms, 1))

    @property
    def drift(self) -> str:
        """The delay line's length over the run, for the cell's notes."""
        d = self.delays_ms
        span = f"{d[0]:.0f} → {d[-1]:.0f} ms" if d else "not started"
        return f"skew {self.ppm:+g} ppm: delay line {span}, re-centred {self.recentres}×"

    def close(self) -> None:
        for stream in (self._out, self._in):
            stream.stop()
            stream.close()
