"""Tool names and schemas made acceptable to the Realtime API, with a way back.

MCP tool names may hold dots and run to 128 characters (SEP-986); a Realtime function name must
match ``^[a-zA-Z0-9_-]{1,64}$`` and one bad name fails the whole ``session.update``. Names are
rewritten (other characters → ``_``, too long → cut + ``_`` + 8 hex of a SHA-1) and made unique
across sources; the caller keeps the reverse map (model name → source and original name).

Schemas: the API takes only documented keys on the tool object (F9) and, like the Chat
Completions validator [infer, reference §7.1], refuses an ``object`` without ``properties`` and
an ``array`` without ``items``. :func:`reduce_schema` keeps the JSON Schema keywords the model
needs, drops annotations (``title``, ``$schema``, ``_meta``, ``examples``…) and fixes those two
shapes, returning what it changed so ``voicechat tools`` can show it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_NAME = 64
_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_-]")

# Keywords kept at any schema level (everything else is an annotation the API does not need).
KEPT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "description",
        "default",
        "anyOf",
        "oneOf",
        "allOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minItems",
        "maxItems",
        "uniqueItems",
        "additionalProperties",
        "multipleOf",
        "nullable",
        "$ref",
        "$defs",
        "definitions",
    }
)
MAX_DEPTH = 32
# Annotations dropped without a word: they change nothing the model is told.
ANNOTATIONS = frozenset(
    {
        "title",
        "$schema",
        "$id",
        "$comment",
        "_meta",
        "meta",
        "examples",
        "readOnly",
        "writeOnly",
        "deprecated",
        "annotations",
    }
)


def valid_name(raw: str) -> str:
    """``raw`` as a valid function name (unchanged when it already is one)."""
    if NAME_PATTERN.match(raw):
        return raw
    name = _BAD_CHARS.sub("_", raw) or "tool"
    if len(name) > MAX_NAME:
        digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = f"{name[: MAX_NAME - 9]}_{digest}"
    return name


def unique_names(wanted: Iterable[tuple[str, str]]) -> list[str]:
    """For each ``(prefix, raw name)``, a valid name unique in the list.

    A name keeps its own form when it is free; on a clash the later ones take the source's
    prefix (``files_read``), then a number (``files_read_2``)."""
    taken: set[str] = set()
    out: list[str] = []
    for prefix, raw in wanted:
        candidates = [valid_name(raw), valid_name(f"{prefix}_{raw}")]
        name = next((c for c in candidates if c not in taken), None)
        n = 2
        while name is None:
            suffix = f"_{n}"
            base = candidates[1][: MAX_NAME - len(suffix)]
            name = base + suffix if base + suffix not in taken else None
            n += 1
        taken.add(name)
        out.append(name)
    return out


def reduce_schema(schema: Any) -> tuple[dict[str, Any], list[str]]:
    """A parameters schema the API accepts, and notes saying what was changed."""
    notes: list[str] = []
    if not isinstance(schema, Mapping):
        notes.append("the schema was not an object; the tool takes no arguments")
        return {"type": "object", "properties": {}}, notes
    if "type" not in schema and ("properties" in schema or not schema):
        schema = {**schema, "type": "object"}  # an empty schema or bare properties: an object
    root = _reduce(schema, "parameters", notes, 0)
    if root.get("type") != "object":
        notes.append(f"root type {root.get('type')!r} is not object; the tool takes no arguments")
        return {"type": "object", "properties": {}}, notes
    return root, notes


def _reduce(schema: Mapping[str, Any], where: str, notes: list[str], depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        notes.append(f"{where}: nested deeper than {MAX_DEPTH} levels; cut")
        return {}
    out: dict[str, Any] = {}
    dropped = sorted(str(k) for k in schema if k not in KEPT_KEYWORDS and k not in ANNOTATIONS)
    if dropped:
        notes.append(f"{where}: dropped {', '.join(dropped)}")
    for key, value in schema.items():
        if key not in KEPT_KEYWORDS:
            continue
        if key in ("properties", "$defs", "definitions"):
            if not isinstance(value, Mapping):
                notes.append(f"{where}.{key}: not an object; emptied")
                value = {}
            out[key] = {
                str(name): _reduce(sub, f"{where}.{key}.{name}", notes, depth + 1)
                if isinstance(sub, Mapping)
                else {}
                for name, sub in value.items()
            }
        elif key == "items":
            out[key] = (
                _reduce(value, f"{where}.items", notes, depth + 1)
                if isinstance(value, Mapping)
                else {}
            )
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [
                _reduce(v, f"{where}.{key}[{i}]", notes, depth + 1)
                for i, v in enumerate(value)
                if isinstance(v, Mapping)
            ]
        elif key == "additionalProperties" and isinstance(value, Mapping):
            out[key] = _reduce(value, f"{where}.additionalProperties", notes, depth + 1)
        elif key == "required":
            out[key] = [str(v) for v in value] if isinstance(value, list) else []
        else:
            out[key] = value
    kind = out.get("type")
    if kind == "object" and "properties" not in out:
        out["properties"] = {}
        notes.append(f"{where}: object without properties; added properties: {{}}")
    if kind == "array" and "items" not in out:
        out["items"] = {}
        notes.append(f"{where}: array without items; added items: {{}}")
    if "required" in out:
        known = out.get("properties") or {}
        missing = [r for r in out["required"] if r not in known]
        if missing:
            out["required"] = [r for r in out["required"] if r in known]
            notes.append(f"{where}: required names no property: {', '.join(missing)}; dropped")
    return out
