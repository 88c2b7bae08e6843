"""A scenario tool's ``parameters`` checked as a JSON Schema before anything connects.

Why: ``type: objekt`` passed the lint and failed only at the server (issue 79). Decision:
nothing more than JSON Schema's 2020-12 meta-schema is asked here. The Realtime reference types
``parameters`` only as an object and states no keyword whitelist; what a server rejects past the
meta-schema is known only from its errors, which the run then shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.scenario.errors import did_you_mean

JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


def schema_problem(schema: Mapping[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """Where in ``schema`` it stops being a JSON Schema (the keys down to the bad keyword) and
    why, with a did-you-mean for a misspelt type; ``None``: it is one."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = tuple(exc.path)
        if where and where[-1] == "type" and isinstance(exc.instance, str):
            return where, (f"'{exc.instance}' is not a JSON Schema type: one of "
                           f"{', '.join(JSON_TYPES)}{did_you_mean(exc.instance, JSON_TYPES)}")
        return where, f"not a JSON Schema: {exc.message}"
    return None
