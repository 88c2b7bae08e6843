"""Session settings a user may change while talking, and the ``session.update`` that asks for them.

The settings screen, the command line and the config file all speak :class:`LiveSettings`
(plain values, ``None`` meaning "the server's default"); this module turns them into the
canonical (GA) fragment of the session object that a ``session.update`` carries.

Decisions:

* Only what changed is sent (:func:`changed_patch`). An invalid ``session.update`` is rejected
  whole by the server, and the voice is locked once the assistant has spoken
  (``cannot_update_voice``): re-sending an unchanged voice with a new speed must not turn a good
  change into a refusal.
* ``turn_detection``, ``transcription`` and ``noise_reduction`` always go as whole objects
  (whether the server merges nested objects field by field is not documented; a whole object
  means the same either way), and :func:`merge_session` replaces them whole too.
* Turn detection keeps ``create_response: true`` and ``interrupt_response: false``: the client
  decides barge-in (:mod:`voicechat.core.policy`), whatever the type. Push-to-talk and transcribe
  modes own their turn detection, so the fragment leaves it out there.
* Noise reduction ``off`` is ``null`` (the API's way of clearing it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

TURN_DETECTIONS = ("server_vad", "semantic_vad")
EAGERNESS = ("auto", "low", "medium", "high")
NOISE_REDUCTIONS = ("near_field", "far_field", "off")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
"""The GA voices (the reference's list); the screen offers them, the validator has the last word."""

WHOLE_OBJECTS = ("turn_detection", "transcription", "noise_reduction")
"""``audio.input`` objects a change replaces whole rather than merges into."""


@dataclass(frozen=True)
class LiveSettings:
    """What the settings screen edits; ``None`` leaves the server's default in place."""

    voice: str | None = None
    speed: float | None = None
    instructions: str | None = None
    turn_detection: str | None = None  # server_vad | semantic_vad
    eagerness: str | None = None  # semantic_vad: auto | low | medium | high
    threshold: float | None = None  # server_vad: 0..1
    silence_ms: int | None = None  # server_vad: silence_duration_ms
    noise_reduction: str | None = None  # near_field | far_field | off
    transcription_model: str | None = None
    language: str | None = None
    prompt: str | None = None  # words to expect (names, jargon) for the transcription model

    def replace(self, **changes: Any) -> LiveSettings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return LiveSettings(**values)


def _turn_detection(s: LiveSettings) -> dict[str, Any] | None:
    if s.turn_detection is None and s.eagerness is None and s.threshold is None \
            and s.silence_ms is None:
        return None
    kind = s.turn_detection or ("semantic_vad" if s.eagerness is not None else "server_vad")
    detection: dict[str, Any] = {"type": kind}
    if kind == "semantic_vad":
        if s.eagerness is not None:
            detection["eagerness"] = s.eagerness
    else:
        if s.threshold is not None:
            detection["threshold"] = s.threshold
        if s.silence_ms is not None:
            detection["silence_duration_ms"] = s.silence_ms
    detection.update(create_response=True, interrupt_response=False)
    return detection


def _transcription(s: LiveSettings, default_model: str | None) -> dict[str, Any] | None:
    model = s.transcription_model or default_model
    if model is None or (s.transcription_model is None and s.language is None
                         and s.prompt is None):
        return None
    spec: dict[str, Any] = {"model": model}
    if s.language:
        spec["language"] = s.language
    if s.prompt:
        spec["prompt"] = s.prompt
    return spec


def session_patch(s: LiveSettings, *, mode: str = "vad",
                  transcription_model: str | None = None) -> dict[str, Any]:
    """Every setting of ``s`` that is set, as a GA session fragment (no ``type``).

    ``transcription_model`` is the model in use, for a language or prompt given without one."""
    return changed_patch(LiveSettings(), s, mode=mode, transcription_model=transcription_model)


def changed_patch(old: LiveSettings, new: LiveSettings, *, mode: str = "vad",
                  transcription_model: str | None = None) -> dict[str, Any]:
    """What differs between ``old`` and ``new``, as a GA session fragment (no ``type``)."""
    patch: dict[str, Any] = {}
    output: dict[str, Any] = {}
    audio_in: dict[str, Any] = {}
    speaks = mode != "transcribe"
    if speaks and new.instructions != old.instructions and new.instructions is not None:
        patch["instructions"] = new.instructions
    if speaks and new.voice != old.voice and new.voice is not None:
        output["voice"] = new.voice
    if speaks and new.speed != old.speed and new.speed is not None:
        output["speed"] = new.speed
    detection = _turn_detection(new)
    if mode == "vad" and detection is not None and detection != _turn_detection(old):
        audio_in["turn_detection"] = detection
    if new.noise_reduction != old.noise_reduction and new.noise_reduction is not None:
        audio_in["noise_reduction"] = (None if new.noise_reduction == "off"
                                       else {"type": new.noise_reduction})
    spec = _transcription(new, transcription_model)
    if spec is not None and spec != _transcription(old, transcription_model):
        audio_in["transcription"] = spec
    audio: dict[str, Any] = {}
    if audio_in:
        audio["input"] = audio_in
    if output:
        audio["output"] = output
    if audio:
        patch["audio"] = audio
    return patch


def merge_session(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` laid over it: nested objects merge, except the
    :data:`WHOLE_OBJECTS` of ``audio.input``, which ``patch`` replaces whole."""
    out = copy.deepcopy(dict(base))
    _merge_into(out, patch, ())
    return out


def merge_in_place(base: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """:func:`merge_session` into ``base`` itself (others hold a reference to it)."""
    _merge_into(base, patch, ())


def _merge_into(out: dict[str, Any], patch: Mapping[str, Any], path: tuple[str, ...]) -> None:
    for key, value in patch.items():
        current = out.get(key)
        whole = path == ("audio", "input") and key in WHOLE_OBJECTS
        if isinstance(current, dict) and isinstance(value, Mapping) and not whole:
            _merge_into(current, value, (*path, key))
        else:
            out[key] = copy.deepcopy(value)
