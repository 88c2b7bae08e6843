"""Corrections applied to the SDK-generated schemas so they match what the server accepts.

Why an overlay instead of editing the generated files: the generated JSON stays a faithful,
reproducible image of the pinned SDK (a test regenerates it), and every place where we know
better than the SDK types is listed here, in reviewable code. Each rule exists because the SDK's
TypedDicts, turned into JSON Schema, were measured to be wrong against the real server
(``docs/reference-notes.md``, "Validation"):

* TypedDicts ignore extra keys, but the server answers ``Unknown parameter`` → every object
  with declared properties becomes closed (``additionalProperties: false``).
* The server accepts ``null`` to switch features off (turn detection, transcription, noise
  reduction, tracing, prompt, idle timeout, include), which the SDK types do not allow. (A null
  that means "not set" rather than "off", as in ``response.create``'s ``response``, is not a
  schema matter: :mod:`voicechat.protocol.unset_nulls` drops it before validation.)
* The SDK carries no ranges; the API reference and server do (temperature, speed, VAD
  threshold, idle timeout, token limits, ...).
* Model fields take any string on the wire: new model names and Azure deployment names.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: Properties that may be set to null on the wire, whatever the SDK type says.
NULLABLE: frozenset[str] = frozenset(
    {
        "turn_detection",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "noise_reduction",
        "transcription",
        "tracing",
        "prompt",
        "idle_timeout_ms",
        "include",
    }
)

#: Numeric ranges by property name: (minimum, maximum); ``None`` means unbounded.
RANGES: Mapping[str, tuple[float | None, float | None]] = {
    "temperature": (0.6, 1.2),
    "speed": (0.25, 1.5),
    "threshold": (0, 1),
    "idle_timeout_ms": (5000, 30000),
    "max_output_tokens": (1, 4096),
    "max_response_output_tokens": (1, 4096),
    "silence_duration_ms": (0, None),
    "prefix_padding_ms": (0, None),
    "retention_ratio": (0, 1),
    "post_instructions": (1, None),
    "seconds": (10, 7200),
    "audio_end_ms": (0, None),
    "content_index": (0, None),
}

#: Properties that take any string (models, Azure deployment names).
ANY_STRING: frozenset[str] = frozenset({"model"})

#: String length limits: ``event_id`` from the GA spec; ``call_id`` [unverified] from one
#: public trace of the real message ("Invalid 'item.call_id': string too long. Expected a
#: string with maximum length 32, …", realtime-tools.md §3), enforced so a client replaying
#: longer ids from another API learns it before the real service tells it.
MAX_LENGTH: Mapping[str, int] = {"event_id": 512, "call_id": 32}

#: Keys the SDK marks required that the real server lets a client leave out, by definition.
#: ``mcp_approval_response.id``: the Agents SDK (JS) sends its approvals without one
#: (``openaiRealtimeBase.ts`` ``sendMcpResponse``: ``{type, approval_request_id, approve,
#: reason?}``) and works against the real service; the server then mints the id, as for any
#: item created without one.
OPTIONAL: Mapping[str, frozenset[str]] = {
    "RealtimeMcpApprovalResponseParam": frozenset({"id"}),
}

_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_SINGLE = ("items", "additionalProperties", "not", "contains")


def apply_overlay(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A corrected deep copy of a generated schema."""
    out: dict[str, Any] = copy.deepcopy(dict(schema))
    _walk(out)
    defs = out.get("$defs")
    if isinstance(defs, dict):
        for name, keys in OPTIONAL.items():
            definition = defs.get(name)
            if isinstance(definition, dict) and isinstance(definition.get("required"), list):
                definition["required"] = [k for k in definition["required"] if k not in keys]
    return out


def _walk(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        schema.setdefault("additionalProperties", False)
        for name in list(props):
            props[name] = _fix_property(name, props[name])
    for key in _SCHEMA_MAPS:
        value = schema.get(key)
        if isinstance(value, dict):
            for sub in value.values():
                _walk(sub)
    for key in _SCHEMA_LISTS:
        value = schema.get(key)
        if isinstance(value, list):
            for sub in value:
                _walk(sub)
    for key in _SCHEMA_SINGLE:
        _walk(schema.get(key))


def _fix_property(name: str, prop: Any) -> Any:
    if not isinstance(prop, dict):
        return prop
    if name in ANY_STRING:
        return {"type": "string"}
    if name in RANGES:
        _add_range(prop, *RANGES[name])
    if name in MAX_LENGTH and prop.get("type") == "string":
        prop["maxLength"] = MAX_LENGTH[name]
    if name in NULLABLE and prop.get("type") != "string" and not _allows_null(prop):
        if "anyOf" in prop:
            prop["anyOf"].append({"type": "null"})
        else:
            prop = {"anyOf": [prop, {"type": "null"}]}
    return prop


def _add_range(prop: dict[str, Any], low: float | None, high: float | None) -> None:
    targets = [prop, *prop.get("anyOf", ())]
    for target in targets:
        if isinstance(target, dict) and target.get("type") in ("integer", "number"):
            if low is not None:
                target["minimum"] = low
            if high is not None:
                target["maximum"] = high


def _allows_null(prop: Mapping[str, Any]) -> bool:
    if prop.get("type") == "null":
        return True
    return any(isinstance(b, Mapping) and b.get("type") == "null" for b in prop.get("anyOf", ()))
