"""Acoustic echo cancellation for the client's media path (issue 10).

* :class:`EchoCanceller` (``stage``): the stage the runtime calls — ``process_far`` with what the
  speaker plays, ``process_near`` with the mic — backed by WebRTC's AEC3 (``engine``).
* :class:`ResidualEchoDetector` (``residual``): is echo still leaking after cancellation (or with
  no cancellation at all)? Sans-IO, usable on its own.
* :class:`DelayEstimator` (``delay``): the speaker-to-mic delay, from the signals.
* ``linear``: a linear-only canceller (libspeexdsp) whose residual the stage measures for the
  local barge-in detector's second ear; loaded lazily, skipped when the library is missing.

Importing this package does not import the native library; building an :class:`EchoCanceller`
does, and raises :class:`AecUnavailable` (with the fix) when it cannot.
"""

from voicechat.audio.echo.delay import DelayEstimator
from voicechat.audio.echo.engine import FIX, AecUnavailable
from voicechat.audio.echo.residual import ResidualEchoDetector, ResidualVerdict
from voicechat.audio.echo.stage import AecMetrics, AecOptions, EchoCanceller

__all__ = [
    "FIX",
    "AecMetrics",
    "AecOptions",
    "AecUnavailable",
    "DelayEstimator",
    "EchoCanceller",
    "ResidualEchoDetector",
    "ResidualVerdict",
]
