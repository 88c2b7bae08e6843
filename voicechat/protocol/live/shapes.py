"""A small, strict shape checker: what a GPT-Live field may hold, and the first problem found.

Why not the JSON-Schema machinery of the Realtime validator: GPT-Live's config is small, closed
at every level (``additionalProperties: false``) and needs only a handful of shapes, so plain
values checked in field order give the one error the server would name, with its ``param``
path, and stay readable next to the SDK models they mirror. Sans-IO, stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from voicechat.protocol.error_picker import describe_instance
from voicechat.protocol.live import errors
from voicechat.protocol.live.errors import LiveError


class Shape(Protocol):
    """What one value may be; :meth:`check` returns the first problem at ``path``."""

    @property
    def expected(self) -> str:
        """How the error names what was expected (``a string``, ``an object``…)."""
        ...

    def check(self, value: Any, path: str) -> LiveError | None: ...


# The value's JSON kind as OpenAI's errors name it ("an object", "a string"…): the same
# words the Realtime validator uses.
describe = describe_instance


@dataclass(frozen=True)
class Str:
    expected: str = "a string"

    def check(self, value: Any, path: str) -> LiveError | None:
        return None if isinstance(value, str) else errors.invalid_type(path, self.expected,
                                                                       describe(value))


@dataclass(frozen=True)
class Bool:
    expected: str = "a boolean"

    def check(self, value: Any, path: str) -> LiveError | None:
        return None if isinstance(value, bool) else errors.invalid_type(path, self.expected,
                                                                        describe(value))


@dataclass(frozen=True)
class Int:
    minimum: int | None = None
    expected: str = "an integer"

    def check(self, value: Any, path: str) -> LiveError | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return errors.invalid_type(path, self.expected, describe(value))
        if self.minimum is not None and value < self.minimum:
            return errors.below_minimum(path, self.minimum, value)
        return None


@dataclass(frozen=True)
class Enum:
    values: tuple[Any, ...]
    expected: str = "one of the supported values"

    def check(self, value: Any, path: str) -> LiveError | None:
        if value in self.values and type(value) in {type(v) for v in self.values}:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            kinds = {describe(v) for v in self.values}
            return errors.invalid_type(path, " or ".join(sorted(kinds)), describe(value))
        return errors.invalid_value(path, value, self.values)


@dataclass(frozen=True)
class AnyObject:
    """An object whose inside this checker leaves to the service (e.g. a JSON schema)."""

    expected: str = "an object"

    def check(self, value: Any, path: str) -> LiveError | None:
        if isinstance(value, Mapping):
            return None
        return errors.invalid_type(path, self.expected, describe(value))


@dataclass(frozen=True)
class Nullable:
    inner: Shape

    @property
    def expected(self) -> str:
        return f"{self.inner.expected} or null"

    def check(self, value: Any, path: str) -> LiveError | None:
        return None if value is None else self.inner.check(value, path)


@dataclass(frozen=True)
class ListOf:
    item: Shape
    max_items: int | None = None
    expected: str = "an array"

    def check(self, value: Any, path: str) -> LiveError | None:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            return errors.invalid_type(path, self.expected, describe(value))
        if self.max_items is not None and len(value) > self.max_items:
            return errors.array_too_long(path, self.max_items, len(value))
        for index, item in enumerate(value):
            problem = self.item.check(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None


@dataclass(frozen=True)
class Either:
    """The first alternative whose kind matches decides (``"all"`` or a list; a voice name or
    ``{"id"}``)."""

    options: tuple[Shape, ...]
    expected: str = "one of the documented forms"

    def check(self, value: Any, path: str) -> LiveError | None:
        first: LiveError | None = None
        for option in self.options:
            problem = option.check(value, path)
            if problem is None:
                return None
            if problem.code != errors.INVALID_TYPE or problem.param != path:
                return problem  # right kind, wrong inside: that is the error to report
            first = first or problem
        expected = " or ".join(option.expected for option in self.options)
        return errors.invalid_type(path, expected, describe(value)) if first else None


@dataclass(frozen=True)
class Obj:
    """A closed object: unknown keys are refused, ``required`` keys must be present."""

    fields: Mapping[str, Shape]
    required: frozenset[str] = field(default_factory=frozenset)
    #: False for objects the SDK types only by their ``type`` (hosted tools): other keys pass
    closed: bool = True
    expected: str = "an object"

    def check(self, value: Any, path: str) -> LiveError | None:
        if not isinstance(value, Mapping):
            return errors.invalid_type(path or "event", self.expected, describe(value))
        for key in value:
            if key not in self.fields and self.closed:
                return errors.unknown_parameter(_join(path, str(key)))
        for key in self.fields:
            if key in self.required and key not in value:
                return errors.missing_required_parameter(_join(path, key))
        for key, item in value.items():
            if key not in self.fields:
                continue
            problem = self.fields[key].check(item, _join(path, key))
            if problem is not None:
                return problem
        return None


@dataclass(frozen=True)
class Tagged:
    """An object picked by its ``type`` (or another key): each variant is a closed object."""

    variants: Mapping[str, Obj]
    key: str = "type"
    open_variants: bool = False  # an unknown tag is left to the service
    expected: str = "an object"

    def check(self, value: Any, path: str) -> LiveError | None:
        if not isinstance(value, Mapping):
            return errors.invalid_type(path, self.expected, describe(value))
        if self.key not in value:
            return errors.missing_required_parameter(_join(path, self.key))
        tag = value[self.key]
        variant = self.variants.get(tag) if isinstance(tag, str) else None
        if variant is None:
            if self.open_variants and isinstance(tag, str):
                return None
            return errors.invalid_value(_join(path, self.key), tag, tuple(self.variants))
        return variant.check(value, path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
