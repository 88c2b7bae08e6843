"""The session the server reports, and where it differs from the one the client asked for.

A server is free to ignore parts of a ``session.update`` (an older model, a proxy, a deployment
without transcription, a server that forces ``interrupt_response``), and says what it really runs
only in ``session.updated``. The client's own rules depend on some of it — barge-in assumes the
server does *not* cancel on speech, the transcript waits for transcripts only when transcription
is on — so the session follows what the server reports, and every difference from the request
becomes a Notice once. Only ``session.updated`` is compared (``session.created`` predates the
request); only what the request named is compared, and a key the server leaves out is not a
difference (older servers omit defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicechat.protocol.session_audio import turn_detection


@dataclass(frozen=True)
class ReportedSession:
    """What the server says it runs (GA shape); ``None`` where it did not say."""

    model: str | None = None
    transcription_model: str | None = None
    transcription: bool | None = None  # False: the server reported transcription off
    turn_detection: str | None = None  # "server_vad", "semantic_vad", "none" (off)
    interrupt_response: bool | None = None
    create_response: bool | None = None
    # what the status bar shows of the applied session (the settings screen's fields)
    voice: str | None = None
    speed: float | None = None
    eagerness: str | None = None
    threshold: float | None = None
    silence_ms: float | None = None
    noise_reduction: str | None = None  # near_field | far_field | "off" (reported null)
    transcription_language: str | None = None
    #: when the server ends the session (unix seconds, the session object's ``expires_at``:
    #: OpenAI's 60-minute cap, a provider's own); ``None`` where it did not say
    expires_at: int | None = None


def read_reported(session: Mapping[str, Any]) -> ReportedSession:
    """The facts of a GA-shaped session object the client acts on."""
    audio_in = _path(session, "audio", "input")
    transcription: bool | None = None
    model: str | None = None
    if "transcription" in audio_in:
        spec = audio_in.get("transcription")
        transcription = isinstance(spec, Mapping)
        model = _str(spec.get("model")) if isinstance(spec, Mapping) else None
    detection = turn_detection(session)
    kind: str | None = None
    if detection is not None:
        kind = _str(detection.get("type"))
    elif "turn_detection" in audio_in:
        kind = "none"
    output = _path(session, "audio", "output")
    noise: str | None = None
    if "noise_reduction" in audio_in:
        spec = audio_in.get("noise_reduction")
        noise = _str(spec.get("type")) if isinstance(spec, Mapping) else "off"
    transcription_spec = audio_in.get("transcription")
    return ReportedSession(
        voice=_str(output.get("voice")),
        speed=_num(output.get("speed")),
        eagerness=_str(detection.get("eagerness")) if detection else None,
        threshold=_num(detection.get("threshold")) if detection else None,
        silence_ms=_num(detection.get("silence_duration_ms")) if detection else None,
        noise_reduction=noise,
        transcription_language=_str(transcription_spec.get("language"))
        if isinstance(transcription_spec, Mapping) else None,
        model=_str(session.get("model")),
        transcription_model=model,
        transcription=transcription,
        turn_detection=kind,
        interrupt_response=_bool(detection.get("interrupt_response")) if detection else None,
        create_response=_bool(detection.get("create_response")) if detection else None,
        expires_at=_epoch(session.get("expires_at")),
    )


def differences(requested: Mapping[str, Any], reported: Mapping[str, Any]) -> list[str]:
    """What the server did not apply, one sentence each (empty: everything asked for holds)."""
    asked, got = read_reported(requested), read_reported(reported)
    out: list[str] = []
    if asked.transcription and got.transcription is False:
        out.append(f"input transcription is off (asked for {asked.transcription_model}): "
                   "user turns will show no text")
    elif (asked.transcription_model and got.transcription_model
          and got.transcription_model != asked.transcription_model):
        out.append(f"input transcription uses {got.transcription_model} "
                   f"(asked for {asked.transcription_model})")
    if asked.turn_detection and got.turn_detection and got.turn_detection != asked.turn_detection:
        out.append(f"turn detection is {got.turn_detection} (asked for {asked.turn_detection})")
    for key in ("interrupt_response", "create_response"):
        want, have = getattr(asked, key), getattr(got, key)
        if want is not None and have is not None and want != have:
            out.append(f"{key} is {str(have).lower()} (asked for {str(want).lower()})")
    if asked.model and got.model and not got.model.startswith(asked.model):
        out.append(f"model is {got.model} (asked for {asked.model})")
    for direction in ("input", "output"):
        want_fmt = _path(requested, "audio", direction).get("format")
        have_fmt = _path(reported, "audio", direction).get("format")
        if isinstance(want_fmt, Mapping) and isinstance(have_fmt, Mapping):
            wrong = [k for k, v in want_fmt.items() if k in have_fmt and have_fmt[k] != v]
            if wrong:
                out.append(f"audio {direction} format is {dict(have_fmt)} "
                           f"(asked for {dict(want_fmt)})")
    return [f"the server did not apply the requested session: {text}" for text in out]


def _path(obj: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = obj.get(key)
        if not isinstance(value, Mapping):
            return {}
        obj = value
    return obj


def _epoch(value: Any) -> int | None:
    """A time in unix seconds; ``None`` for anything else (a transcription session's 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
