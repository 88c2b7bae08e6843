"""The audio side of a session that the client core and the doctor must read alike.

Readers for the GA session object's ``audio.input.turn_detection`` and ``audio.output.format``,
and the server VAD figures both depend on.

The defaults are what the service reports in ``session.created`` for ``server_vad``
(see ``docs/reference-notes.md``, "Session defaults": threshold 0.5, prefix padding 300 ms,
silence 200 ms).

A *short speech segment* is measured the way both the core's VAD timeline and the doctor's
``short-speech-segments`` rule see it: ``speech_stopped.audio_end_ms`` minus
``speech_started.audio_start_ms``. That span already includes the default 300 ms of prefix
padding, so under 500 ms it holds at most ~200 ms of speech — a cough, a click, one clipped
syllable: too little to transcribe or answer sensibly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DEFAULT_THRESHOLD = 0.5
DEFAULT_PREFIX_PADDING_MS = 300
DEFAULT_SILENCE_DURATION_MS = 200

#: Speech the server's VAD must have heard, beyond its prefix padding, to be worth a turn.
MIN_USEFUL_SPEECH_MS = 200
#: A VAD segment (start to stop, padding included) shorter than this is "too short".
SHORT_SPEECH_SEGMENT_MS = DEFAULT_PREFIX_PADDING_MS + MIN_USEFUL_SPEECH_MS


def vad_timings(session: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """``(silence_duration_ms, prefix_padding_ms)`` of the session's VAD (``None``: not given)."""
    detection = turn_detection(session)
    if detection is None:
        return None, None
    return _ms(detection.get("silence_duration_ms")), _ms(detection.get("prefix_padding_ms"))


def turn_detection(session: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``audio.input.turn_detection`` of a GA-shaped session object, when it is an object."""
    audio = session.get("audio")
    audio_in = audio.get("input") if isinstance(audio, Mapping) else None
    detection = audio_in.get("turn_detection") if isinstance(audio_in, Mapping) else None
    return detection if isinstance(detection, Mapping) else None


def output_format(session: Mapping[str, Any]) -> Any:
    """``audio.output.format`` of a GA-shaped session object (``None`` when absent)."""
    audio = session.get("audio")
    output = audio.get("output") if isinstance(audio, Mapping) else None
    return output.get("format") if isinstance(output, Mapping) else None


def _ms(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
