"""Proto-JSON's two spellings of a field, read as one.

The service parses messages with a protobuf JSON parser, which accepts a field under its
lowerCamelCase JSON name (``realtimeInput``, Google's docs) or its original proto name
(``realtime_input``); the official Python SDK sends the outer keys snake_case and the inner
ones camelCase. Everything here names fields in camelCase and looks each up under both.

Free-form values (a function's ``args`` and ``response``, a JSON schema) are user data: their
keys are never respelled, so callers only use these helpers on fields of the schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UPPER = re.compile(r"(?<!^)([A-Z])")


def snake(name: str) -> str:
    """``realtimeInput`` → ``realtime_input``."""
    return _UPPER.sub(r"_\1", name).lower()


def camel(name: str) -> str:
    """``realtime_input`` → ``realtimeInput`` (a camelCase name is returned unchanged)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def has(obj: Mapping[str, Any], name: str) -> bool:
    """Whether ``obj`` holds the field ``name`` (camelCase) under either spelling."""
    return name in obj or snake(name) in obj


def get(obj: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """The field ``name`` (camelCase) of ``obj`` under either spelling (camelCase first)."""
    if name in obj:
        return obj[name]
    return obj.get(snake(name), default)


def canonical_keys(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj``'s own keys in camelCase (one level: values are left as they are)."""
    return {camel(str(key)): value for key, value in obj.items()}


def duplicated(obj: Mapping[str, Any]) -> str | None:
    """A field given under both spellings (``audio_stream_end`` and ``audioStreamEnd``), which
    protobuf's parser refuses; ``None`` when there is none."""
    seen: set[str] = set()
    for key in obj:
        name = camel(str(key))
        if name in seen:
            return name
        seen.add(name)
    return None


def get_list(obj: Mapping[str, Any], name: str) -> list[Any]:
    """A repeated field under either spelling, or ``[]`` when it is absent or not a list
    (another app's log may hold anything there: a reader iterates it without a check)."""
    value = get(obj, name)
    return value if isinstance(value, list) else []
