"""Check a server event against the official ``azure-ai-voicelive`` SDK's models, strictly.

The SDK (1.3.1) reads an event with ``ServerEvent._deserialize(payload, [])`` (its async
connection's ``recv``): the ``type`` discriminator picks a per-type class, and nothing else is
checked — fields are dict entries read lazily, an unknown ``type`` falls back to the bare
``ServerEvent``, a wrong value is returned raw. :func:`vl_problems` does what the SDK's typing
promises instead: the ``type`` must map to one of its classes, and every field is walked against
the class's annotations (required fields present, values of the declared type, nested models
and their discriminators known, no key the model does not declare unless it is in
:data:`REAL_BUT_UNDECLARED`).
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from azure.ai.voicelive import _unions, models
from azure.ai.voicelive._utils.model_base import Model
from azure.ai.voicelive.models import ServerEvent

_NONE = type(None)
_NAMESPACE = {"_models": models, "_unions": _unions}

#: (event type, dotted path with list indices dropped) → why a key the SDK's model lacks is
#: fine (none so far: the personality sends only what the SDK declares).
REAL_BUT_UNDECLARED: Mapping[tuple[str, str], str] = {}

#: (event type, dotted path with list indices dropped) → why a field the SDK requires may be
#: absent. The SDK types a message's content with its *request* parts, so the user's audio part
#: of a ``conversation.item.created`` would need the audio itself; the beta protocol echoes
#: that part as ``{"type": "input_audio", "transcript": null}`` and the transcript follows in
#: ``…input_audio_transcription.completed`` (beta API reference; the SDK's own
#: ``InputAudioContentPart``, the response-side model, has no ``audio``).
REQUIRED_BUT_NEVER_SENT: Mapping[tuple[str, str], str] = {
    ("conversation.item.created", "item.content.audio"): "the user's audio is never echoed",
    ("conversation.item.retrieved", "item.content.audio"): "the user's audio is never echoed",
}

_INDEX = re.compile(r"\[\d+\]")


def server_event_class(kind: str) -> type[Model] | None:
    """The SDK's class for a server event ``type`` (``None``: the SDK does not know it)."""
    found = ServerEvent.__mapping__.get(kind)  # type: ignore[attr-defined]
    return typing.cast("type[Model] | None", found)


def vl_problems(event: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``event`` for the SDK's server event models (empty: nothing)."""
    kind = str(event.get("type"))
    parsed = ServerEvent._deserialize(dict(event), [])  # the SDK's own parse (its recv)
    if type(parsed) is ServerEvent:
        return [f"{kind}: no ServerEvent class for this type"]
    found: list[tuple[str, str]] = []
    _model(type(parsed), event, "", found)
    allowed = {"undeclared": REAL_BUT_UNDECLARED, "missing": REQUIRED_BUT_NEVER_SENT}
    return [f"{kind}: {path}: {what}" for path, what in found
            if (kind, _INDEX.sub("", path)) not in allowed.get(what.split(",")[0].split()[0], {})]


def _hints(cls: type[Model]) -> dict[str, Any]:
    module = vars(__import__(cls.__module__, fromlist=["_"]))
    return typing.get_type_hints(cls, globalns={**module, **_NAMESPACE})


def _concrete(cls: type[Model], raw: Mapping[str, Any]) -> type[Model]:
    """The subclass the SDK's discriminator picks for ``raw`` (``cls`` itself when none)."""
    return type(cls._deserialize(dict(raw), []))


def _has_open_discriminator(cls: type[Model]) -> bool:
    """Whether ``cls`` is a discriminated base the SDK fell back to (its value unknown)."""
    mapping = cls.__dict__.get("__mapping__")
    return bool(mapping)


def _model(cls: type[Model], raw: Any, path: str, found: list[tuple[str, str]]) -> None:
    if not isinstance(raw, Mapping):
        found.append((path, f"expected an object ({cls.__name__}), got {raw!r:.60}"))
        return
    cls = _concrete(cls, raw)
    if _has_open_discriminator(cls):
        found.append((path, f"no {cls.__name__} subclass for {dict(raw)!r:.100}"))
        return
    cls(dict(raw))  # computes the class's field table (the SDK does this on first use)
    fields = cls._attr_to_rest_field  # type: ignore[attr-defined]
    hints = _hints(cls)
    declared = set()
    for attr, rf in fields.items():
        name = rf._rest_name
        declared.add(name)
        annotation = hints.get(attr, Any)
        where = f"{path}.{name}" if path else name
        if name not in raw:
            if not _optional(annotation):
                found.append((where, f"missing, required by {cls.__name__}"))
            continue
        _value(annotation, raw[name], where, found)
    for key in raw:
        if key not in declared:
            where = f"{path}.{key}" if path else key
            found.append((where, f"undeclared by {cls.__name__}"))


def _optional(annotation: Any) -> bool:
    return get_origin(annotation) is Union and _NONE in get_args(annotation)


def _value(annotation: Any, value: Any, path: str, found: list[tuple[str, str]]) -> None:
    if isinstance(annotation, typing.ForwardRef):  # get_type_hints resolves them all
        raise TypeError(f"{path}: unresolved {annotation}")
    origin = get_origin(annotation)
    if annotation is Any:
        return
    if origin is Union:
        args = get_args(annotation)
        if value is None and _NONE in args:
            return
        attempts = []
        for arg in (a for a in args if a is not _NONE):
            sub: list[tuple[str, str]] = []
            _value(arg, value, path, sub)
            if not sub:
                return
            attempts.append(sub)
        found.extend(min(attempts, key=len) if attempts else [(path, "no type")])
        return
    if origin is Literal:
        if value not in get_args(annotation):
            found.append((path, f"{value!r} is not one of {get_args(annotation)}"))
        return
    if origin in (list, typing.Sequence, tuple):
        if not isinstance(value, list):
            found.append((path, f"expected a list, got {value!r:.60}"))
            return
        (item,) = get_args(annotation)[:1] or (Any,)
        for index, entry in enumerate(value):
            _value(item, entry, f"{path}[{index}]", found)
        return
    if origin in (dict, typing.Mapping):
        if not isinstance(value, Mapping):
            found.append((path, f"expected an object, got {value!r:.60}"))
            return
        item = get_args(annotation)[1] if get_args(annotation) else Any
        for key, entry in value.items():
            _value(item, entry, f"{path}.{key}", found)
        return
    if isinstance(annotation, type) and issubclass(annotation, Model):
        _model(annotation, value, path, found)
        return
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if value not in {m.value for m in annotation}:
            found.append((path, f"{value!r} is not a {annotation.__name__}"))
        return
    if annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif annotation is str or annotation is bytes:  # bytes: base64 text on the wire
        ok = isinstance(value, str)
    else:
        return  # datetime and the like: none in the events a session sends
    if not ok:
        found.append((path, f"expected {annotation.__name__}, got {value!r:.60}"))
