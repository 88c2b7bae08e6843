"""Validate client events and session objects the way the Realtime server does, in its own words.

Why: the real server rejects a bad ``session.update`` whole, with one error naming the first
problem. Clients that learn this only after connecting waste a round trip and often a whole
session; the local server must reject exactly what the real one rejects. Both call this module.

How: the shapes come from JSON Schemas generated from the pinned OpenAI SDK's param TypedDicts
(``scripts/gen_schemas.py``, committed under ``schemas/``). Those types are too lax and in places
too strict for the wire, so :mod:`voicechat.protocol._schema_overlay` corrects them at load time
(closed objects, legal nulls, ranges, any-string model names). ``jsonschema`` finds every error; the
picker (:mod:`voicechat.protocol.error_picker`) reduces them to the one the server would report.

Sans-IO: stdlib + jsonschema only. Validators are built once per (dialect, azure) and cached.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from voicechat.protocol import errors
from voicechat.protocol._schema_overlay import apply_overlay
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.error_picker import describe_instance, first_problem, one_of
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.names import client_events
from voicechat.protocol.unset_nulls import drop_unset_nulls

__all__ = [
    "known_property_names",
    "validate_client_event",
    "validate_session",
]

# --- public API ---------------------------------------------------------------------------------


def validate_client_event(
    event: Mapping[str, Any], dialect: Dialect, *, azure: bool = False
) -> ProtocolError | None:
    """The first problem the server would report for this client event, or ``None`` if valid.

    ``param`` paths are relative to the event (``session.turn_detection.threshold``, ``audio``),
    matching what the real server puts in ``error.param``.
    """
    if not isinstance(event, Mapping):
        return ProtocolError(
            "invalid_event",
            f"Expected an event object, but got {describe_instance(event)} instead.",
        )
    if "type" not in event:
        return errors.missing_event_type()
    kind = event["type"]
    supported = client_events(dialect, azure=azure)
    if not isinstance(kind, str):
        return errors.invalid_type("type", one_of(supported), describe_instance(kind))
    if kind not in supported:
        return errors.invalid_value("type", kind, list(supported))
    if kind == APPEND and _plainly_valid_append(event):
        return None
    key = _verdict_key(event, dialect, azure)
    if key is not None and key in _VERDICTS:
        return _VERDICTS[key]
    validator = _schemas(dialect, azure).events[kind]
    problem = first_problem(validator, drop_unset_nulls(event, dialect))
    if key is not None:
        if len(_VERDICTS) >= VERDICTS_KEPT:
            _VERDICTS.clear()
        _VERDICTS[key] = problem
    return problem


#: verdicts remembered for events seen before: the validator is a pure function of the event,
#: and the same ``response.create`` and typed turn come again in every conversation of a load
#: run, on both sides (the schema walk was ~14 % of the local server's busy time in a burst of
#: 100 callers' turns, ~3.5 % of the load generator's)
_VERDICTS: dict[tuple[str, bool, str], ProtocolError | None] = {}
VERDICTS_KEPT = 256
#: an event longer than this (as text) is judged every time, never kept: a client must not be
#: able to fill the server's memory with big events
VERDICT_KEY_MAX = 4096


def _verdict_key(event: Mapping[str, Any], dialect: Dialect,
                 azure: bool) -> tuple[str, bool, str] | None:
    """What decides the verdict on ``event``: its fields in their order, with ``repr`` telling
    apart what the schema does (a tuple from a list, ``1`` from ``1.0`` and ``True``), less an
    ``event_id`` the schema surely accepts (text of at most 512), so the ids every event is
    numbered with do not defeat the memory; ``None`` when not to remember it."""
    event_id = event.get("event_id", "")
    if type(event_id) is not str or len(event_id) > EVENT_ID_MAX:
        return None
    text = repr([item for item in event.items() if item[0] != "event_id"])
    if len(text) > VERDICT_KEY_MAX:
        return None
    return dialect.value, azure, text


APPEND = "input_audio_buffer.append"
_APPEND_KEYS = frozenset({"type", "audio", "event_id"})
#: the schema's ``maxLength`` of ``event_id`` (both dialects, Azure's too)
EVENT_ID_MAX = 512


def _plainly_valid_append(event: Mapping[str, Any]) -> bool:
    """An append the schema certainly accepts, decided without it: its keys among ``type``,
    ``audio`` (text) and ``event_id`` (text of at most 512). Appends are most of a session's
    events (a WebSocket client sends 10–50 a second), and the schema walk was the largest
    single cost of the local server's loop under load (``bench/bench_load.py``: ~18 % of its
    busy time at 50 callers); anything else still goes to the schema for the server's exact
    wording. A test holds the two equal on arbitrary appends."""
    if type(event.get("audio")) is not str or not event.keys() <= _APPEND_KEYS:
        return False
    event_id = event.get("event_id", "")
    return type(event_id) is str and len(event_id) <= EVENT_ID_MAX


def validate_session(
    session: Mapping[str, Any],
    dialect: Dialect,
    *,
    azure: bool = False,
    transcription: bool = False,
) -> ProtocolError | None:
    """Validate a bare session object (the body of ``session.update``'s ``session``).

    ``transcription`` selects the transcription-session shape: beta's
    ``transcription_session.update`` body, or GA's ``{"type": "transcription", ...}`` (a GA
    session of any other ``type`` is then reported as an invalid ``session.type``). Without it,
    a GA session may be of either type. Params are prefixed ``session.`` as on the wire.
    """
    schemas = _schemas(dialect, azure)
    validator = schemas.transcription_session if transcription else schemas.session
    return first_problem(validator, {"session": session})


def known_property_names(dialect: Dialect) -> frozenset[str]:
    """Every property name the dialect's client events use anywhere (for spelling hints)."""
    return _schemas(dialect, False).property_names


# --- schema loading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schemas:
    events: Mapping[str, Any]  # event type -> validator
    session: Any
    transcription_session: Any
    defs: Mapping[str, Any]
    property_names: frozenset[str]


def load_schema(dialect: Dialect) -> dict[str, Any]:
    """The generated schema for ``dialect`` with the overlay applied (a fresh copy)."""
    text = resources.files("voicechat.protocol").joinpath("schemas", f"{dialect.value}.json")
    raw: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return apply_overlay(raw)


#: Undocumented events Azure's GA endpoint accepts; the SDK has no types for them.
_AZURE_EXTRA_SCHEMAS: Mapping[str, dict[str, Any]] = {
    "session.close": {
        "type": "object",
        "properties": {"type": {"const": "session.close"}, "event_id": {"type": "string"}},
        "required": ["type"],
        "additionalProperties": False,
    }
}


@functools.cache
def _schemas(dialect: Dialect, azure: bool) -> _Schemas:
    root = load_schema(dialect)
    defs: dict[str, Any] = root["$defs"]
    event_defs: dict[str, str] = {}
    for branch in root["anyOf"]:
        name = branch["$ref"].rsplit("/", 1)[-1]
        event_defs[defs[name]["properties"]["type"]["const"]] = name

    def make(schema: Mapping[str, Any]) -> Any:
        return Draft202012Validator({"$defs": defs, **schema})

    events: dict[str, Any] = {
        kind: make({"$ref": f"#/$defs/{name}"}) for kind, name in event_defs.items()
    }
    if azure:
        for kind in client_events(dialect, azure=True):
            if kind not in events:
                events[kind] = make(_AZURE_EXTRA_SCHEMAS[kind])
    session_schema = defs[event_defs["session.update"]]["properties"]["session"]
    if dialect is Dialect.BETA:
        transcription_schema = defs[event_defs["transcription_session.update"]]["properties"][
            "session"
        ]
    else:
        transcription_schema = {"$ref": "#/$defs/RealtimeTranscriptionSessionCreateRequestParam"}

    def wrapped(schema: Mapping[str, Any]) -> Any:
        return make(
            {
                "type": "object",
                "properties": {"session": schema},
                "required": ["session"],
            }
        )

    return _Schemas(
        events=events,
        session=wrapped(session_schema),
        transcription_session=wrapped(transcription_schema),
        defs=defs,
        property_names=frozenset(_collect_property_names(root)),
    )


def _collect_property_names(schema: Any) -> Iterable[str]:
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            yield from props
        for value in schema.values():
            yield from _collect_property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _collect_property_names(value)
