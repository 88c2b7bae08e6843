"""WebRTC's audio processing module (AEC3), loaded from the ``livekit`` wheel, behind one class.

Why livekit: among the PyPI packages that wrap WebRTC's APM it is the one with a prebuilt
manylinux/macOS/Windows wheel that installs offline, is released often by a company that runs
it in production, and it removed the most echo on our synthetic and PulseAudio echo paths (see
bench/bench_echo.py). We use only its public ``rtc.AudioProcessingModule`` and ``rtc.AudioFrame``.

The import is lazy and every way it can fail (package missing, its native library refusing to
load, the FFI refusing to build an APM) becomes :class:`AecUnavailable`, whose message carries
the fix. The caller shows it and falls back to the safe behaviour: AEC off, mic muted while the
assistant speaks.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]

#: What the user should do when AEC cannot load (shown verbatim in notices).
FIX = (
    "install the echo canceller with `pip install 'livekit>=1.2,<2'` (a prebuilt wheel), or use "
    "headphones; until then the mic stays muted while the assistant speaks (--no-aec hides this)"
)
#: Sample rates the APM processes natively; anything else is resampled to 48 kHz first.
NATIVE_RATES = (16000, 32000, 48000)


class AecUnavailable(Exception):
    """The echo canceller cannot run here; the message says why and how to fix it."""


def load_rtc() -> Any:
    """Import ``livekit.rtc`` or raise :class:`AecUnavailable` (missing or broken install)."""
    try:
        return import_module("livekit.rtc")
    except (ImportError, OSError) as exc:  # OSError: the native FFI library failed to load
        raise AecUnavailable(f"echo cancellation unavailable ({exc}): {FIX}") from exc


class ApmEngine:
    """One WebRTC APM with echo cancellation on, fed 10 ms int16 mono frames at ``rate``.

    Not thread-safe on its own: :class:`~voicechat.audio.echo.stage.EchoCanceller` makes every
    call from its mic side, under its lock (the speaker thread only queues reference frames).
    """

    def __init__(
        self, rate: int, *, noise_suppression: bool = False, high_pass_filter: bool = True
    ) -> None:
        if rate not in NATIVE_RATES:
            raise ValueError(f"the APM runs at {NATIVE_RATES} Hz, not {rate}")
        self._rtc = load_rtc()
        self.rate = rate
        self.frame_samples = rate // 100
        try:
            self._apm = self._rtc.AudioProcessingModule(
                echo_cancellation=True,
                noise_suppression=noise_suppression,
                high_pass_filter=high_pass_filter,
                auto_gain_control=False,
            )
        except Exception as exc:  # the FFI reports failures as plain exceptions
            raise AecUnavailable(f"echo canceller failed to start ({exc}): {FIX}") from exc

    def _frame(self, pcm: Int16Array) -> Any:
        if pcm.size != self.frame_samples:
            raise ValueError(f"APM frames are 10 ms ({self.frame_samples} samples), got {pcm.size}")
        data = bytearray(np.ascontiguousarray(pcm, dtype=np.int16).tobytes())
        return self._rtc.AudioFrame(data, self.rate, 1, self.frame_samples)

    def far(self, pcm: Int16Array) -> None:
        """The reference: 10 ms of what the speaker plays."""
        self._apm.process_reverse_stream(self._frame(pcm))

    def near(self, pcm: Int16Array, delay_ms: int) -> Int16Array:
        """10 ms of mic audio with the echo removed; ``delay_ms`` is the stream-delay hint."""
        frame = self._frame(pcm)
        self._apm.set_stream_delay_ms(max(0, int(delay_ms)))
        self._apm.process_stream(frame)
        return np.frombuffer(bytes(frame.data), dtype=np.int16).copy()
