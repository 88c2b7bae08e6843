"""Reduce ``jsonschema``'s errors to the one the Realtime server would report, in its words.

Why: the real server rejects a bad event with one error naming the first problem, worded its own
way (``Unknown parameter: 'session.foo'.``, ``Invalid type for 'x': expected …``). ``jsonschema``
instead reports every error, several per ``anyOf`` branch. The picker follows the ``anyOf``
branch whose ``type``/``role`` discriminator matches (instead of reporting noise from every
branch), reports a missing or unknown discriminator itself, and otherwise takes the first problem
in document order. Echoed values are redacted and cut short, as the server's are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from voicechat.protocol import errors
from voicechat.protocol.errors import ProtocolError, quote
from voicechat.protocol.secrets import redact_text

_DISCRIMINATORS = ("type", "role")


class _Problem(NamedTuple):
    """One candidate error; the smallest ``(order, priority, tiebreak)`` is reported."""

    order: tuple[int, ...]
    priority: int
    tiebreak: int
    error: ProtocolError


def first_problem(validator: Any, instance: Any) -> ProtocolError | None:
    """The one error the server would report for ``instance`` (``None`` when it is valid)."""
    picker = _Picker(instance, validator.schema["$defs"])
    problems: list[_Problem] = []
    for error in validator.iter_errors(instance):
        problems.extend(picker.problems(error))
    if not problems:
        return None
    return min(problems, key=lambda p: (p.order, p.priority, p.tiebreak)).error


class _Picker:
    """Turns jsonschema errors into server-worded problems, ordered as the server reports them."""

    def __init__(self, root: Any, defs: Mapping[str, Any]) -> None:
        self.root = root
        self.defs = defs

    # ordering: the position of every path element in the document (missing keys first)
    def order(self, path: Sequence[str | int]) -> tuple[int, ...]:
        node: Any = self.root
        key: list[int] = []
        for element in path:
            if isinstance(node, Mapping) and element in node:
                key.append(list(node).index(element))
                node = node[element]
            elif isinstance(node, list) and isinstance(element, int) and element < len(node):
                key.append(element)
                node = node[element]
            else:
                key.append(-1)
                break
        return tuple(key)

    def problem(
        self, path: Sequence[str | int], error: ProtocolError, priority: int = 0, tiebreak: int = 0
    ) -> _Problem:
        return _Problem(self.order(path), priority, tiebreak, error)

    def problems(self, error: Any) -> list[_Problem]:
        path = list(error.absolute_path)
        where = render_path(path)
        keyword = error.validator
        instance = error.instance
        schema = error.schema
        if keyword == "additionalProperties" and isinstance(instance, Mapping):
            allowed = schema.get("properties", {})
            return [
                self.problem([*path, key], errors.unknown_parameter(render_path([*path, key])))
                for key in instance
                if key not in allowed
            ]
        if keyword == "required" and isinstance(instance, Mapping):
            missing = [name for name in error.validator_value if name not in instance]
            return [
                self.problem(
                    [*path, name],
                    errors.missing_required_parameter(render_path([*path, name])),
                    tiebreak=0 if name == "type" else 1 + index,
                )
                for index, name in enumerate(missing)
            ]
        if keyword == "type":
            expected = _describe_schema(schema, self.defs)
            got = describe_instance(instance)
            return [self.problem(path, errors.invalid_type(where, expected, got))]
        if keyword in ("enum", "const"):
            values = list(error.validator_value) if keyword == "enum" else [error.validator_value]
            return [self.problem(path, errors.invalid_value(where, _safe(instance), values), 1)]
        if keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            kind = "integer" if schema.get("type") == "integer" else "decimal"
            builder = errors.below_minimum if "inimum" in keyword else errors.above_maximum
            limit = error.validator_value
            return [self.problem(path, builder(where, kind, limit, instance), 2)]
        if keyword == "maxLength" and isinstance(instance, str):
            return [self.problem(path, _string_too_long(where, error.validator_value, instance), 2)]
        if keyword in ("anyOf", "oneOf"):
            return self.any_of(error, path)
        return [
            self.problem(
                path,
                ProtocolError(
                    "invalid_value",
                    f"Invalid value for '{where}': it does not satisfy '{keyword}'.",
                    where,
                ),
                3,
            )
        ]

    def any_of(self, error: Any, path: list[str | int]) -> list[_Problem]:
        """Follow the branch the payload meant, so the error names the real mistake."""
        instance = error.instance
        where = render_path(path)
        branches = [_deref(b, self.defs) for b in error.validator_value]
        by_branch: dict[int, list[Any]] = {}
        for sub in error.context or ():
            by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [i for i, b in enumerate(branches) if _accepts_type(b, instance, self.defs)]
        if not fitting:
            expected = _describe_schema(error.schema, self.defs)
            return [
                self.problem(
                    path, errors.invalid_type(where, expected, describe_instance(instance))
                )
            ]
        if len(fitting) > 1 and isinstance(instance, Mapping):
            chosen = self._discriminate(branches, fitting, instance, path)
            if isinstance(chosen, _Problem):
                return [chosen]
            if chosen is not None:
                fitting = [chosen]
        if len(fitting) > 1:
            values = self._combined_choices(fitting, by_branch, path)
            if values is not None:
                return [self.problem(path, errors.invalid_value(where, _safe(instance), values), 1)]
        out: list[_Problem] = []
        for sub in by_branch.get(fitting[0], ()):
            out.extend(self.problems(sub))
        if not out:  # e.g. oneOf matched twice: no branch error to follow, so name the place
            expected = _describe_schema(error.schema, self.defs)
            message = f"Invalid value for '{where}': expected {expected}."
            out.append(self.problem(path, ProtocolError("invalid_value", message, where), 3))
        return out

    def _discriminate(
        self,
        branches: list[Mapping[str, Any]],
        fitting: list[int],
        instance: Mapping[str, Any],
        path: list[str | int],
    ) -> int | _Problem | None:
        """The branch whose ``type``/``role`` consts match, or the discriminator's own error."""
        tags = {i: _discriminator_values(branches[i]) for i in fitting}
        if not any("type" in t for t in tags.values()):
            return None
        tagged = [i for i in fitting if "type" in tags[i]]
        for i in tagged:
            required = branches[i].get("required", ())
            if all(
                (instance[k] in values) if k in instance else (k not in required)
                for k, values in tags[i].items()
            ):
                return i
        untagged = [i for i in fitting if i not in tagged]
        if untagged:
            return untagged[0]
        fitting = tagged
        for key in _DISCRIMINATORS:
            candidates = [i for i in fitting if key in tags[i]]
            if not candidates:
                return None
            if key not in instance:
                where = render_path([*path, key])
                return self.problem([*path, key], errors.missing_required_parameter(where))
            allowed: list[Any] = []
            for i in candidates:
                allowed.extend(v for v in tags[i][key] if v not in allowed)
            value = instance[key]
            if value not in allowed:
                where = render_path([*path, key])
                if not isinstance(value, str):
                    got = describe_instance(value)
                    err = errors.invalid_type(where, one_of(allowed), got)
                else:
                    err = errors.invalid_value(where, _safe(value), allowed)
                return self.problem([*path, key], err, 1)
            fitting = [i for i in candidates if value in tags[i][key]]
        return fitting[0] if fitting else None

    def _combined_choices(
        self, fitting: list[int], by_branch: Mapping[int, list[Any]], path: list[str | int]
    ) -> list[Any] | None:
        """All allowed literals when every fitting branch only failed on a const/enum here."""
        values: list[Any] = []
        for i in fitting:
            subs = by_branch.get(i, [])
            if not subs:
                return None
            for sub in subs:
                if sub.validator not in ("const", "enum") or list(sub.absolute_path) != path:
                    return None
                found = sub.validator_value if sub.validator == "enum" else [sub.validator_value]
                values.extend(v for v in found if v not in values)
        return values


# --- wording helpers ----------------------------------------------------------------------------


_MAX_ECHO = 200


def _safe(value: Any) -> Any:
    """A rejected value as it may appear in a message: secrets redacted, huge strings cut.

    The real server echoes the value verbatim; we do too, except that a key pasted into the
    wrong field must not reach a log, and a megabyte of base64 does not belong in one line.
    """
    if not isinstance(value, str):
        return value
    value = redact_text(value)
    if len(value) > _MAX_ECHO:
        value = value[:_MAX_ECHO] + "…"
    return value


def render_path(path: Iterable[str | int]) -> str:
    """``["session", "tools", 0, "meta"]`` → ``session.tools[0].meta`` (the server's syntax)."""
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else str(element)
    return out


def _string_too_long(where: str, limit: int, value: str) -> ProtocolError:
    """General OpenAI API wording for over-long strings (not verified for Realtime)."""
    return ProtocolError(
        "string_above_max_length",
        f"Invalid '{where}': string too long. Expected a string with maximum length {limit}, "
        f"but got a string with length {len(value)} instead.",
        where,
    )


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def describe_instance(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return "an unsupported value"


def one_of(values: Iterable[Any]) -> str:
    """``one of 'a', 'b', 'c'`` — the server's wording for an expected enum (no final "and")."""
    return "one of " + ", ".join(quote(v) for v in values)


def _describe_schema(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    """What a schema expects, in the server's words (``an object``, ``one of 'a', 'b'``)."""
    schema = _deref(schema, defs)
    if "enum" in schema:
        return one_of(schema["enum"])
    if "const" in schema:
        return quote(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [_deref(b, defs) for b in schema[key]]
            any_string = any(b.get("type") == "string" and not _literals(b) for b in branches)
            words: list[str] = []
            for branch in branches:
                if any_string and _literals(branch):
                    continue  # "a string" already covers the listed string values
                word = _describe_schema(branch, defs)
                if word not in words:
                    words.append(word)
            return " or ".join(words)
    kind = schema.get("type")
    if isinstance(kind, str):
        return _TYPE_WORDS.get(kind, kind)
    if isinstance(kind, list):
        return " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kind)
    return "a value"


def _literals(schema: Mapping[str, Any]) -> bool:
    return "enum" in schema or "const" in schema


def _deref(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_type_ok(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, list)
    return True


def _accepts_type(schema: Mapping[str, Any], value: Any, defs: Mapping[str, Any]) -> bool:
    """Whether ``value``'s JSON type fits ``schema`` at the top level (details aside)."""
    schema = _deref(schema, defs)
    kind = schema.get("type")
    if isinstance(kind, str):
        return _json_type_ok(kind, value)
    if isinstance(kind, list):
        return any(_json_type_ok(k, value) for k in kind)
    if "const" in schema:
        return describe_instance(schema["const"]) == describe_instance(value)
    if "enum" in schema:
        return any(describe_instance(v) == describe_instance(value) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return any(_accepts_type(b, value, defs) for b in schema[key])
    return True


def _discriminator_values(schema: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{"type": ["message"], "role": ["user"]}`` for an object branch with literal tags."""
    props = schema.get("properties", {})
    out: dict[str, list[Any]] = {}
    for key in _DISCRIMINATORS:
        prop = props.get(key)
        if isinstance(prop, Mapping):
            if "const" in prop:
                out[key] = [prop["const"]]
            elif "enum" in prop:
                out[key] = list(prop["enum"])
    return out
