"""Translate events between the beta dialect and the canonical (GA) one, in both directions.

The session core, the local server's conversation engine and the doctor all work on GA-shaped
events. Beta endpoints (``OpenAI-Beta: realtime=v1`` and Azure's preview API) differ in event
names, in the flat session shape, in audio format spelling and in assistant content-part types.
These functions convert at the edge so that nothing else needs to know.

Conversion is total and conservative: unknown event types and unknown fields pass through
unchanged (so a validator downstream can still report them in the server's words), and nothing
is ever mutated in place.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.names import SERVER_EVENTS

JSON = dict[str, Any]

# --- event names ------------------------------------------------------------------------------

#: Server event names that differ between beta (key) and GA (value).
BETA_TO_GA_SERVER_NAMES: Mapping[str, str] = {
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "conversation.item.created": "conversation.item.added",
    "transcription_session.updated": "session.updated",
}
GA_TO_BETA_SERVER_NAMES: Mapping[str, str] = {v: k for k, v in BETA_TO_GA_SERVER_NAMES.items()}

#: GA server events that have no beta counterpart; a beta peer never sees them. Derived, like
#: the SDK's unions: every GA server event name that beta neither has nor gets by renaming
#: (``conversation.item.done``, the idle timeout, DTMF, diarization segments, the MCP families).
#: ``tests/protocol/test_names.py`` checks the name lists against the official SDK's unions.
GA_ONLY_SERVER_EVENTS: frozenset[str] = (
    SERVER_EVENTS[Dialect.GA] - SERVER_EVENTS[Dialect.BETA] - frozenset(GA_TO_BETA_SERVER_NAMES)
)

#: Fields the GA service adds to events that beta never had: ``obfuscation`` pads the streamed
#: text deltas (real GA logs; the SDK's models do not declare it), so a beta peer never sees it.
GA_ONLY_EVENT_FIELDS: frozenset[str] = frozenset({"obfuscation"})

# --- audio formats ----------------------------------------------------------------------------

_BETA_FORMAT_TO_GA: Mapping[str, JSON] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_GA_FORMAT_TO_BETA: Mapping[str, str] = {
    "audio/pcm": "pcm16",
    "audio/pcmu": "g711_ulaw",
    "audio/pcma": "g711_alaw",
}


def audio_format_to_ga(value: Any) -> Any:
    """``"pcm16"`` → ``{"type": "audio/pcm", "rate": 24000}``; anything unrecognised is kept."""
    if isinstance(value, str) and value in _BETA_FORMAT_TO_GA:
        return dict(_BETA_FORMAT_TO_GA[value])
    return copy.deepcopy(value)


def audio_format_to_beta(value: Any) -> Any:
    """``{"type": "audio/pcmu"}`` → ``"g711_ulaw"``; anything unrecognised is kept."""
    if isinstance(value, Mapping):
        kind = value.get("type")
        if isinstance(kind, str) and kind in _GA_FORMAT_TO_BETA:
            return _GA_FORMAT_TO_BETA[kind]
    return copy.deepcopy(value)


# --- session shapes ---------------------------------------------------------------------------

#: Beta flat session key → path inside the GA session (as a tuple of keys).
_SESSION_PATHS: Mapping[str, tuple[str, ...]] = {
    "voice": ("audio", "output", "voice"),
    "output_audio_format": ("audio", "output", "format"),
    "speed": ("audio", "output", "speed"),
    "input_audio_format": ("audio", "input", "format"),
    "input_audio_transcription": ("audio", "input", "transcription"),
    "turn_detection": ("audio", "input", "turn_detection"),
    "input_audio_noise_reduction": ("audio", "input", "noise_reduction"),
    "max_response_output_tokens": ("max_output_tokens",),
}
_FORMAT_KEYS = frozenset({"output_audio_format", "input_audio_format"})

#: Known renames from beta to GA, spelled as dotted paths; used for hints.
SESSION_RENAMES_BETA_TO_GA: Mapping[str, str] = {
    **{key: ".".join(path) for key, path in _SESSION_PATHS.items()},
    "modalities": "output_modalities",
}
SESSION_RENAMES_GA_TO_BETA: Mapping[str, str] = {
    v: k for k, v in SESSION_RENAMES_BETA_TO_GA.items()
}


def modalities_to_ga(value: Any) -> Any:
    """Beta ``["text", "audio"]`` → GA ``["audio"]`` (GA audio always carries a transcript)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ["audio"] if "audio" in value else list(value)
    return copy.deepcopy(value)


def modalities_to_beta(value: Any) -> Any:
    """GA ``["audio"]`` → beta ``["text", "audio"]`` (beta has no audio-only mode)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ["text", "audio"] if "audio" in value else list(value)
    return copy.deepcopy(value)


def session_to_ga(session: Mapping[str, Any], *, transcription: bool = False) -> JSON:
    """Turn a flat beta session (or transcription session) into the nested GA shape.

    ``temperature`` has no GA counterpart and is dropped; unknown keys are carried over so that
    validation can still name them.
    """
    out: JSON = {}
    if transcription:
        out["type"] = "transcription"
    elif "type" not in session:
        out["type"] = "realtime"
    for key, value in session.items():
        if key == "temperature":
            continue
        if key == "modalities":
            if not transcription:
                out["output_modalities"] = modalities_to_ga(value)
            continue
        path = _SESSION_PATHS.get(key)
        if path is None:
            out[key] = copy.deepcopy(value)
            continue
        converted = audio_format_to_ga(value) if key in _FORMAT_KEYS else copy.deepcopy(value)
        _set_path(out, path, converted)
    if out.get("object") == "realtime.transcription_session":
        out["type"] = "transcription"
    return out


def session_to_beta(session: Mapping[str, Any]) -> JSON:
    """Turn a nested GA session into the flat beta shape (``type`` is implied by the event)."""
    out: JSON = {}
    for key, value in session.items():
        if key == "type":
            continue
        if key == "output_modalities":
            out["modalities"] = modalities_to_beta(value)
        elif key == "max_output_tokens":
            out["max_response_output_tokens"] = copy.deepcopy(value)
        elif key == "audio" and isinstance(value, Mapping):
            _flatten_audio(value, out)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _flatten_audio(audio: Mapping[str, Any], out: JSON) -> None:
    for beta_key, path in _SESSION_PATHS.items():
        if path[0] != "audio":
            continue
        found, value = _get_path(audio, path[1:])
        if found:
            converted = audio_format_to_beta(value) if beta_key in _FORMAT_KEYS else value
            out[beta_key] = copy.deepcopy(converted)
    # Keys we do not know inside audio.input / audio.output survive under their GA path, so a
    # beta validator reports them instead of silently losing them.
    for side in ("input", "output"):
        section = audio.get(side)
        if isinstance(section, Mapping):
            known = {p[2] for p in _SESSION_PATHS.values() if p[:2] == ("audio", side)}
            extra = {k: v for k, v in section.items() if k not in known}
            if extra:
                out.setdefault("audio", {}).setdefault(side, {}).update(copy.deepcopy(extra))
    extra_top = {k: v for k, v in audio.items() if k not in ("input", "output")}
    if extra_top:
        out.setdefault("audio", {}).update(copy.deepcopy(extra_top))


# --- items and responses ----------------------------------------------------------------------

_ASSISTANT_PART_TO_GA = {"text": "output_text", "audio": "output_audio"}
_ASSISTANT_PART_TO_BETA = {v: k for k, v in _ASSISTANT_PART_TO_GA.items()}


def item_to_ga(item: Any) -> Any:
    """Rename assistant content parts (``text``/``audio`` → ``output_text``/``output_audio``)."""
    return _map_item_parts(item, _ASSISTANT_PART_TO_GA)


def item_to_beta(item: Any) -> Any:
    """Rename assistant content parts (``output_text``/``output_audio`` → ``text``/``audio``)."""
    return _map_item_parts(item, _ASSISTANT_PART_TO_BETA)


def _item_to_ga_shared(item: JSON) -> JSON:
    """:func:`item_to_ga` for a server event's item, built anew only where it changes.

    The receive path maps every beta item (each turn has several); the renamed parts and the
    list holding them are new, everything else is shared with the input, which is never
    mutated (the same contract as the GA path's shallow copy).
    """
    content = item.get("content")
    if item.get("role") != "assistant" or not isinstance(content, list):
        return dict(item)
    table = _ASSISTANT_PART_TO_GA
    parts = [{**part, "type": table[part["type"]]}
             if isinstance(part, dict) and part.get("type").__class__ is str
             and part["type"] in table else part  # (a list as the type: not ours to map)
             for part in content]
    return {**item, "content": parts}


def _map_item_parts(item: Any, table: Mapping[str, str]) -> Any:
    item = copy.deepcopy(item)
    if not isinstance(item, dict) or item.get("role") != "assistant":
        return item
    content = item.get("content")
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("type"), str) \
                    and part["type"] in table:
                part["type"] = table[part["type"]]
    return item


def response_to_ga(response: Any, *, shared: bool = False) -> Any:
    """Map a beta response object (or ``response.create`` body) to the GA shape.

    ``shared``: for a server event on the receive path, values that need no change are shared
    with the input instead of deep-copied (see :func:`_item_to_ga_shared`).
    """
    if not isinstance(response, Mapping):
        return copy.deepcopy(response)
    dup: Callable[[Any], Any] = _same if shared else copy.deepcopy
    item: Callable[[Any], Any] = _item_to_ga_or_same if shared else item_to_ga
    out: JSON = {}
    for key, value in response.items():
        if key == "modalities":
            out["output_modalities"] = modalities_to_ga(value)
        elif key == "voice":
            _set_path(out, ("audio", "output", "voice"), dup(value))
        elif key == "output_audio_format":
            _set_path(out, ("audio", "output", "format"), audio_format_to_ga(value))
        elif key == "max_response_output_tokens":
            out["max_output_tokens"] = dup(value)
        elif key == "temperature":
            continue
        elif key in ("output", "input") and isinstance(value, list):
            out[key] = [item(i) for i in value]
        else:
            out[key] = dup(value)
    return out


def _same(value: Any) -> Any:
    return value


def _item_to_ga_or_same(item: Any) -> Any:
    return _item_to_ga_shared(item) if isinstance(item, dict) else item


def response_to_beta(response: Any, *, server: bool = False) -> Any:
    """Map a GA response object (or ``response.create`` body) to the beta shape.

    ``server``: a response object as the server shows it (``response.created/done``), which in
    beta too is named ``max_output_tokens``; only the client's ``response.create`` body spells it
    ``max_response_output_tokens`` (real beta logs and the beta SDK's ``RealtimeResponse``).
    """
    if not isinstance(response, Mapping):
        return copy.deepcopy(response)
    out: JSON = {}
    for key, value in response.items():
        if key == "output_modalities":
            out["modalities"] = modalities_to_beta(value)
        elif key == "audio" and isinstance(value, Mapping):
            output = value.get("output")
            if isinstance(output, Mapping):
                if "voice" in output:
                    out["voice"] = copy.deepcopy(output["voice"])
                if "format" in output:
                    out["output_audio_format"] = audio_format_to_beta(output["format"])
        elif key == "max_output_tokens" and not server:
            out["max_response_output_tokens"] = copy.deepcopy(value)
        elif key in ("output", "input") and isinstance(value, list):
            out[key] = [item_to_beta(i) for i in value]
        else:
            out[key] = copy.deepcopy(value)
    return out


# --- whole events -----------------------------------------------------------------------------


def server_event_to_canonical(event: Mapping[str, Any], dialect: Dialect) -> JSON:
    """A server→client event as received from an endpoint of ``dialect``, in GA shape."""
    if dialect is Dialect.GA:
        return dict(event)
    if "session" not in event and "item" not in event and "response" not in event:
        # Fast path for the hot events (transcript and audio deltas): only the name can differ,
        # so a shallow copy with the new name is the whole job — as on the GA path, the input is
        # never mutated, at a fraction of a deep copy's cost.
        fast = dict(event)
        name = fast.get("type")
        if isinstance(name, str) and name in BETA_TO_GA_SERVER_NAMES:
            fast["type"] = BETA_TO_GA_SERVER_NAMES[name]
        return fast
    # A shallow copy, as on the GA path: the three members that change are rebuilt below (each
    # mapper returns a new object and never mutates its input), the rest is shared read-only.
    # Deep-copying the whole event first cost more than the rest of the receive path.
    out = dict(event)
    kind = out.get("type")
    if isinstance(kind, str) and kind in BETA_TO_GA_SERVER_NAMES:
        out["type"] = BETA_TO_GA_SERVER_NAMES[kind]
    if kind in ("session.created", "session.updated", "transcription_session.updated"):
        session = out.get("session")
        if isinstance(session, Mapping):
            out["session"] = session_to_ga(
                session, transcription=kind == "transcription_session.updated"
            )
    if isinstance(out.get("item"), dict):
        out["item"] = _item_to_ga_shared(out["item"])
    if isinstance(out.get("response"), dict):
        out["response"] = response_to_ga(out["response"], shared=True)
    # content_part events keep their part types: even GA names them "audio" and "text".
    return out


def server_event_from_canonical(event: Mapping[str, Any], dialect: Dialect) -> JSON | None:
    """A GA-shaped server event rendered for ``dialect``; ``None`` if beta has no such event."""
    if dialect is Dialect.GA:
        return dict(event)
    kind = event.get("type")
    if kind in GA_ONLY_SERVER_EVENTS:
        return None
    out = copy.deepcopy({k: v for k, v in event.items() if k not in GA_ONLY_EVENT_FIELDS})
    if isinstance(kind, str) and kind in GA_TO_BETA_SERVER_NAMES and kind != "session.updated":
        out["type"] = GA_TO_BETA_SERVER_NAMES[kind]
    if kind in ("session.created", "session.updated"):
        session = out.get("session")
        if isinstance(session, Mapping):
            if session.get("type") == "transcription" and kind == "session.updated":
                out["type"] = "transcription_session.updated"
            out["session"] = session_to_beta(session)
    if isinstance(out.get("item"), dict):
        out["item"] = item_to_beta(out["item"])
    if isinstance(out.get("response"), dict):
        out["response"] = response_to_beta(out["response"], server=True)
    return out


def client_event_to_canonical(event: Mapping[str, Any], dialect: Dialect) -> JSON:
    """A client→server event as sent to an endpoint of ``dialect``, in GA shape."""
    if dialect is Dialect.GA:
        return dict(event)
    out = copy.deepcopy(dict(event))
    kind = out.get("type")
    if kind in ("session.update", "transcription_session.update"):
        session = out.get("session")
        if isinstance(session, Mapping):
            out["session"] = session_to_ga(
                session, transcription=kind == "transcription_session.update"
            )
        out["type"] = "session.update"
    elif kind == "response.create" and isinstance(out.get("response"), dict):
        out["response"] = response_to_ga(out["response"])
    elif kind == "conversation.item.create" and isinstance(out.get("item"), dict):
        out["item"] = item_to_ga(out["item"])
    return out


def client_event_from_canonical(event: Mapping[str, Any], dialect: Dialect) -> JSON:
    """A GA-shaped client event rendered for an endpoint of ``dialect``."""
    if dialect is Dialect.GA:
        return dict(event)
    out = copy.deepcopy(dict(event))
    kind = out.get("type")
    if kind == "session.update":
        session = out.get("session")
        if isinstance(session, Mapping):
            if session.get("type") == "transcription":
                out["type"] = "transcription_session.update"
            out["session"] = session_to_beta(session)
    elif kind == "response.create" and isinstance(out.get("response"), dict):
        out["response"] = response_to_beta(out["response"])
    elif kind == "conversation.item.create" and isinstance(out.get("item"), dict):
        out["item"] = item_to_beta(out["item"])
    return out


# --- helpers ----------------------------------------------------------------------------------


def _set_path(target: JSON, path: tuple[str, ...], value: Any) -> None:
    node = target
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def _get_path(source: Mapping[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = source
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node
