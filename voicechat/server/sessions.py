"""Session configuration as the local server keeps it: GA-shaped, complete, with real defaults.

The engine always holds the *full effective* session in the GA (nested) shape, because that is
what ``session.created`` / ``session.updated`` must show and what beta peers get after mapping.
Defaults follow what the real server was observed to send (``docs/reference-notes.md``,
"Session defaults"): server VAD 0.5 / 300 ms / 200 ms, pcm 24 kHz both ways, voice ``alloy``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from voicechat.protocol import errors
from voicechat.protocol.errors import ProtocolError
from voicechat.server.ids import new_id

JSON = dict[str, Any]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful voice assistant running on a local, offline Realtime-compatible server."
)

PCM24 = {"type": "audio/pcm", "rate": 24000}


def default_turn_detection(kind: str = "server_vad", *, transcription: bool = False) -> JSON:
    """The turn_detection object the real server fills in for ``kind``."""
    if kind == "semantic_vad":
        td: JSON = {"type": "semantic_vad", "eagerness": "auto"}
    else:
        td = {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 200,
            "idle_timeout_ms": None,
        }
    if not transcription:
        td["create_response"] = True
        td["interrupt_response"] = True
    return td


def default_session(model: str, *, transcription: bool = False) -> JSON:
    """A complete GA session object as ``session.created`` shows it."""
    audio_input: JSON = {
        "format": dict(PCM24),
        "transcription": None,
        "noise_reduction": None,
        "turn_detection": default_turn_detection(transcription=transcription),
    }
    if transcription:
        audio_input["transcription"] = {
            "model": "gpt-4o-transcribe",
            "language": None,
            "prompt": "",
        }
        return {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": new_id("sess"),
            "audio": {"input": audio_input},
            "include": None,
        }
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": 0,
        "audio": {
            "input": audio_input,
            "output": {"format": dict(PCM24), "voice": "alloy", "speed": 1.0},
        },
        "include": None,
    }


#: Keys the client may not change (the real server ignores or rejects them; we keep ours).
_FIXED = frozenset({"type", "object", "id", "model", "expires_at", "client_secret"})


def apply_update(current: Mapping[str, Any], update: Mapping[str, Any]) -> JSON:
    """The effective session after a (validated) ``session.update``: only present fields change.

    ``null`` clears (turn_detection, transcription, noise_reduction), formats replace whole, and a
    turn_detection object is completed with the defaults of its type, as the real server does.
    """
    out = copy.deepcopy(dict(current))
    transcription = out.get("type") == "transcription"
    for key, value in update.items():
        if key in _FIXED:
            continue
        if key == "audio" and isinstance(value, Mapping):
            audio = out.setdefault("audio", {})
            for side in ("input", "output"):
                section = value.get(side)
                if isinstance(section, Mapping):
                    target = audio.setdefault(side, {})
                    for field, field_value in section.items():
                        if field == "turn_detection":
                            target[field] = _merge_turn_detection(
                                target.get(field), field_value, transcription=transcription
                            )
                        else:
                            target[field] = copy.deepcopy(field_value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_turn_detection(current: Any, update: Any, *, transcription: bool) -> Any:
    if not isinstance(update, Mapping):
        return None
    kind = update.get("type", current.get("type") if isinstance(current, Mapping) else None)
    kind = kind if isinstance(kind, str) else "server_vad"
    if isinstance(current, Mapping) and current.get("type") == kind:
        base = copy.deepcopy(dict(current))
    else:
        base = default_turn_detection(kind, transcription=transcription)
    base.update(copy.deepcopy(dict(update)))
    return base


def session_from_request(
    model: str, request: Mapping[str, Any] | None, *, transcription: bool = False
) -> JSON:
    """A full session seeded from a REST body (client_secrets or multipart ``session``)."""
    kind_is_transcription = transcription or (
        isinstance(request, Mapping) and request.get("type") == "transcription"
    )
    chosen_model = model
    if isinstance(request, Mapping) and isinstance(request.get("model"), str):
        chosen_model = request["model"]
    base = default_session(chosen_model, transcription=kind_is_transcription)
    if isinstance(request, Mapping):
        base = apply_update(base, request)
    return base


def turn_detection_of(session: Mapping[str, Any]) -> Mapping[str, Any] | None:
    audio = session.get("audio")
    if isinstance(audio, Mapping):
        inp = audio.get("input")
        if isinstance(inp, Mapping):
            td = inp.get("turn_detection")
            return td if isinstance(td, Mapping) else None
    return None


def input_section(session: Mapping[str, Any]) -> Mapping[str, Any]:
    audio = session.get("audio")
    if isinstance(audio, Mapping) and isinstance(audio.get("input"), Mapping):
        inp: Mapping[str, Any] = audio["input"]
        return inp
    return {}


def output_section(session: Mapping[str, Any]) -> Mapping[str, Any]:
    audio = session.get("audio")
    if isinstance(audio, Mapping) and isinstance(audio.get("output"), Mapping):
        out: Mapping[str, Any] = audio["output"]
        return out
    return {}


class SessionState:
    """The effective session of one engine, and the rules of ``session.update``.

    The engine's parts read the session through this holder because an update replaces the
    whole object: a part keeping the dict it was given would go on reading the old settings.
    """

    def __init__(self, current: JSON) -> None:
        self.current = current

    @property
    def is_transcription(self) -> bool:
        return self.current.get("type") == "transcription"

    @property
    def turn_detection(self) -> Mapping[str, Any] | None:
        return turn_detection_of(self.current)

    @property
    def input(self) -> Mapping[str, Any]:
        return input_section(self.current)

    @property
    def output(self) -> Mapping[str, Any]:
        return output_section(self.current)

    def check_update(self, update: Any, *, audio_sent: bool) -> ProtocolError | None:
        """Why ``update`` must be refused whole, or ``None`` when it applies."""
        if not isinstance(update, Mapping):
            return errors.missing_required_parameter("session")
        wanted = update.get("type", self.current.get("type"))
        if wanted != self.current.get("type"):
            if wanted == "transcription":
                return errors.transcription_update_on_realtime()
            return errors.realtime_update_on_transcription()
        if audio_sent and self._changes_voice(update):
            # rejected whole, like every invalid session.update: nothing else applies either
            return errors.cannot_update_voice()
        return None

    def apply(self, update: Mapping[str, Any]) -> JSON:
        """Apply a checked update; returns the new session (the engine's VAD follows lazily)."""
        self.current = apply_update(self.current, update)
        return self.current

    def _changes_voice(self, update: Mapping[str, Any]) -> bool:
        """Does ``update`` ask for a voice other than the session's?

        Decision: re-sending the *same* voice is allowed (clients such as agent frameworks
        resend their whole config); only an actual change is refused after audio went out.
        """
        audio = update.get("audio")
        output = audio.get("output") if isinstance(audio, Mapping) else None
        if not isinstance(output, Mapping) or "voice" not in output:
            return False
        current = self.output.get("voice", "alloy")
        return bool(output["voice"] != current)
