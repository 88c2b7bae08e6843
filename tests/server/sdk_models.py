"""Check a server event against the official SDK's typed models of its dialect, strictly.

The ``openai`` SDK (3.52.0) parses server events into pydantic models that *allow* unknown
keys, so a plain ``validate_python`` would accept an event carrying a misspelt or invented
field. :func:`problems` validates with the dialect's discriminated union and then walks the
validated model beside the raw event: every key the model does not declare is a problem, unless
it is one of :data:`REAL_BUT_UNDECLARED` — fields the SDK lacks but the real service sends,
each with the recording it was seen in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from openai.types.beta.realtime import RealtimeServerEvent as BetaServerEvent
from openai.types.realtime import RealtimeServerEvent as GAServerEvent
from pydantic import BaseModel, TypeAdapter, ValidationError

from voicechat.protocol.dialect import Dialect

ADAPTERS: Mapping[Dialect, TypeAdapter[Any]] = {
    Dialect.GA: TypeAdapter(GAServerEvent),
    Dialect.BETA: TypeAdapter(BetaServerEvent),
}

_GA_CAPTURE = (
    "live GA WebSocket captures (gpt-realtime-mini, gpt-4o-mini-transcribe), quoted in "
    "docs/reference-notes.md and in public repositories' probe notes"
)
_BETA_SESSION = (
    "real beta session.created (gpt-4o-realtime-preview-2024-12-17, June 2025): "
    '{"id":…,"object":"realtime.session","expires_at":1751010719,…,"client_secret":null,'
    '"include":null,…}; Azure preview sessions likewise (docs/reference-notes.md, '
    '"Session defaults")'
)

_GA_SESSION = (
    "real GA session.created (gpt-realtime, Dec 2025) and transcription session.created "
    '(probe): {"type":"realtime","object":"realtime.session","id":"sess_…",…,'
    '"expires_at":1767233035,…}; the SDK types the session with its *request* models'
)

#: (dialect, event type, dotted path below the event with list indices dropped) → where the
#: real service was seen sending a field the SDK's model does not declare.
REAL_BUT_UNDECLARED: Mapping[tuple[Dialect, str, str], str] = {
    **{
        (Dialect.GA, kind, f"session.{key}"): _GA_SESSION
        for kind in ("session.created", "session.updated")
        for key in ("object", "id", "expires_at")
    },
    # GA: random padding on every streamed text delta; the SDK declares it only on
    # response.mcp_call_arguments.delta.
    (Dialect.GA, "response.output_text.delta", "obfuscation"): _GA_CAPTURE
    + ': {"delta":"Hi","obfuscation":"A5Nj2cC01aseXj"}',
    (Dialect.GA, "response.output_audio_transcript.delta", "obfuscation"): (
        'real GA trace (gpt-realtime, Dec 2025): {"delta":"The","obfuscation":"LBqdwEYsSEHbF"}'
    ),
    (Dialect.GA, "conversation.item.input_audio_transcription.delta", "obfuscation"): _GA_CAPTURE
    + ': {"delta":"Hello","obfuscation":"hbKWaqwA7ya"}',
    # beta: the session object real beta servers send has these, the SDK's beta Session not
    (Dialect.BETA, "session.created", "session.object"): _BETA_SESSION,
    (Dialect.BETA, "session.created", "session.expires_at"): _BETA_SESSION,
    (Dialect.BETA, "session.created", "session.include"): _BETA_SESSION,
    (Dialect.BETA, "session.updated", "session.object"): _BETA_SESSION,
    (Dialect.BETA, "session.updated", "session.expires_at"): _BETA_SESSION,
    (Dialect.BETA, "session.updated", "session.include"): _BETA_SESSION,
    # beta transcription sessions: the SDK reuses the REST TranscriptionSession model, which
    # lacks the session's identity and two settings transcription_session.update accepts
    **{
        (Dialect.BETA, "transcription_session.updated", f"session.{key}"): (
            "beta transcription_session.update accepts input_audio_noise_reduction and include "
            "(beta API reference, docs/reference-notes.md, 'Session defaults'); sessions carry "
            "id and object "
            '"realtime.transcription_session" like every session object'
        )
        for key in ("object", "id", "include", "input_audio_noise_reduction")
    },
    # beta: the arguments' .done carried the function's name on the wire, although the beta
    # spec and SDK list only call_id and arguments
    (Dialect.BETA, "response.function_call_arguments.done", "name"): (
        "real beta WebRTC log (gpt-4o-realtime-preview-2024-12-17, realtime-tools.md REC-01): "
        '"type":"response.function_call_arguments.done",…,"name":"transferToSupervisor"; '
        "https://github.com/WqyJh/go-openai-realtime/pull/8 (2024-11-18): the \"actual "
        "response … contains 'name', which is not in API reference\""
    ),
    # beta usage: the real beta service sent the GA-era details too (the beta SDK model kept
    # its first shape); same object as GA's RealtimeResponseUsage
    (Dialect.BETA, "response.done", "response.usage.input_token_details.image_tokens"): (
        "GA RealtimeResponseUsage; one usage object serves both dialects on the real service"
    ),
    (Dialect.BETA, "response.done", "response.usage.input_token_details.cached_tokens_details"): (
        "GA RealtimeResponseUsage; one usage object serves both dialects on the real service"
    ),
}

#: Fields an SDK model requires that a live session never sends, with why. Beta's
#: ``transcription_session.updated`` reuses the REST ``TranscriptionSession`` model, whose
#: ``client_secret`` exists only in the ``POST /v1/realtime/transcription_sessions`` answer;
#: a session already connected has no secret to show (real beta transcription logs, e.g. a
#: ``transcription_session.updated`` of ``{"id":…,"object":"realtime.transcription_session",
#: "input_audio_transcription":{…}}``).
REQUIRED_BUT_NEVER_SENT: Mapping[tuple[Dialect, str], tuple[str, str, Any]] = {
    (Dialect.BETA, "transcription_session.updated"): (
        "session",
        "client_secret",
        {"expires_at": 0, "value": "ek_placeholder"},
    ),
}

_INDEX = re.compile(r"\[\d+\]")


def problems(event: Mapping[str, Any], dialect: Dialect) -> list[str]:
    """What is wrong with ``event`` for the SDK's models of ``dialect`` (empty: nothing)."""
    kind = str(event.get("type"))
    absent = REQUIRED_BUT_NEVER_SENT.get((dialect, kind))
    if absent is not None and isinstance(event.get(absent[0]), Mapping):
        parent, key, placeholder = absent
        if key not in event[parent]:
            event = {**event, parent: {**event[parent], key: placeholder}}
    try:
        model = ADAPTERS[dialect].validate_python(event)
    except ValidationError as exc:
        return [f"{kind}: {exc}"]
    found: list[str] = []
    _undeclared(model, event, "", found)
    return [
        f"{kind}: undeclared field {path!r}"
        for path in found
        if (dialect, kind, _INDEX.sub("", path)) not in REAL_BUT_UNDECLARED
    ]


def _undeclared(model: Any, raw: Any, path: str, found: list[str]) -> None:
    """Collect the dotted paths of keys in ``raw`` that ``model`` has no field for."""
    if isinstance(model, BaseModel) and isinstance(raw, Mapping):
        fields = type(model).model_fields
        names = {info.alias or name: name for name, info in fields.items()}
        for key, value in raw.items():
            where = f"{path}.{key}" if path else key
            if key not in names:
                found.append(where)
            else:
                _undeclared(getattr(model, names[key]), value, where, found)
    elif isinstance(model, list) and isinstance(raw, list):
        for index, (item, raw_item) in enumerate(zip(model, raw, strict=False)):
            _undeclared(item, raw_item, f"{path}[{index}]", found)
