"""Nulls the real service reads as "not set", decided field by field.

Why this exists: the validator's schemas come from the SDK's request *TypedDicts*, which have no
null for an optional field, but real clients build their events from the SDK's *pydantic models*,
where every optional field is ``Optional[...] = None``, and send an explicit ``null`` for what
they leave unset. The real service answers those events normally. Refusing them made
``voicechat serve`` useless as an offline peer for LiveKit Agents (issue 56): every
``generate_reply()`` without per-call instructions sends
``{"type": "response.create", "response": {"instructions": null, "metadata": {...}}}``
(``livekit/agents/llm/_realtime/openai.py`` 1.8.9, ``instructions=instructions or None`` dumped
with ``exclude_unset=True``), and LiveKit sends exactly that in production against OpenAI.

How it is used: :func:`drop_unset_nulls` takes those nulls out before validation, so the
validator, the doctor and ``voicechat validate`` accept them, and a real type error keeps the
service's wording (``expected a string``, not ``a string or null``: the API reference types these
fields without null). The local server hands the engine the event without them, so "not set"
means the session's value, exactly as when the key is absent.

Where null is a *value* (``turn_detection: null`` switches server VAD off), it is not "unset":
those fields stay in :data:`voicechat.protocol._schema_overlay.NULLABLE` and keep their null. A
field not listed here still refuses null (e.g. ``session.audio.input.turn_detection.threshold``:
the research in ``realtime-protocol.md`` §9 counts accepting it as too lax).

Sans-IO, stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.dialect import Dialect

__all__ = ["UNSET_WHEN_NULL", "drop_unset_nulls"]

#: ``response.create``'s ``response`` fields whose null means "not set", per dialect.
#:
#: Decided for every field of the object, one evidence for all: each is optional and typed
#: ``Optional[...] = None`` in the pinned SDK's models (GA
#: ``openai.types.realtime.RealtimeResponseCreateParams``: audio, conversation, input,
#: instructions, max_output_tokens, metadata, output_modalities, parallel_tool_calls, prompt,
#: reasoning, tool_choice, tools; beta ``openai.types.beta.realtime.response_create_event.
#: Response``: conversation, input, instructions, max_response_output_tokens, metadata,
#: modalities, output_audio_format, temperature, tool_choice, tools, voice), and a client that
#: builds the model and sends it with ``exclude_unset`` sends null for each field it set to None.
#: Observed on the wire: ``instructions`` (LiveKit, every reply); LiveKit sets ``tool_choice``
#: and ``tools`` the same way when a caller passes them. ``metadata`` and ``prompt`` already take
#: null in the schema (a null there is also "none"), so listing them changes nothing but keeps
#: the list whole. The fields' names differ by dialect; a GA name in a beta event (or the
#: reverse) is not dropped, so it is still refused as an unknown parameter.
_RESPONSE_FIELDS: Mapping[Dialect, frozenset[str]] = {
    Dialect.GA: frozenset(
        {
            "audio",
            "conversation",
            "input",
            "instructions",
            "max_output_tokens",
            "metadata",
            "output_modalities",
            "parallel_tool_calls",
            "prompt",
            "reasoning",
            "tool_choice",
            "tools",
        }
    ),
    Dialect.BETA: frozenset(
        {
            "conversation",
            "input",
            "instructions",
            "max_response_output_tokens",
            "metadata",
            "modalities",
            "output_audio_format",
            "temperature",
            "tool_choice",
            "tools",
            "voice",
        }
    ),
}

#: By client event type: the event's own keys whose null means "not set" (``""``), and, per
#: object key, that object's. ``response.create``'s ``response`` itself is
#: ``Optional[Response] = None`` in both dialects' models: a null there is a response with the
#: session's defaults, like an absent one.
UNSET_WHEN_NULL: Mapping[Dialect, Mapping[str, Mapping[str, frozenset[str]]]] = {
    dialect: {"response.create": {"": frozenset({"response"}), "response": fields}}
    for dialect, fields in _RESPONSE_FIELDS.items()
}


def drop_unset_nulls(event: Mapping[str, Any], dialect: Dialect) -> Mapping[str, Any]:
    """``event`` without the nulls the service reads as "not set" (the same object when it has
    none, so the common case costs one lookup; otherwise a copy, the caller's event untouched)."""
    kind = event.get("type")
    rules = UNSET_WHEN_NULL[dialect].get(kind) if isinstance(kind, str) else None
    if rules is None:
        return event
    out: dict[str, Any] | None = None
    top = rules.get("", frozenset())
    for key in top:
        if key in event and event[key] is None:
            out = dict(event) if out is None else out
            del out[key]
    for key, fields in rules.items():
        inner = event.get(key) if key else None
        if not isinstance(inner, Mapping) or not any(
            f in inner and inner[f] is None for f in fields
        ):
            continue
        out = dict(event) if out is None else out
        out[key] = {k: v for k, v in inner.items() if not (v is None and k in fields)}
    return event if out is None else out
