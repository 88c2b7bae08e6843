"""Names made valid and unique, schemas reduced to what the API accepts (property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.runtime.tools.naming import NAME_PATTERN, reduce_schema, unique_names, valid_name

MCP_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=140
)


@given(MCP_NAMES)
def test_every_name_becomes_valid_and_valid_names_stay(raw: str) -> None:
    name = valid_name(raw)
    assert NAME_PATTERN.match(name)
    if NAME_PATTERN.match(raw):
        assert name == raw


@given(st.lists(st.tuples(st.sampled_from(["files", "web", "cmd", "a.b"]), MCP_NAMES), max_size=30))
def test_names_are_unique_and_valid_and_free_names_are_kept(
    wanted: list[tuple[str, str]],
) -> None:
    names = unique_names(wanted)
    assert len(names) == len(set(names)) == len(wanted)
    assert all(NAME_PATTERN.match(n) for n in names)
    if wanted and NAME_PATTERN.match(wanted[0][1]):
        assert names[0] == wanted[0][1]  # the first owner keeps its name


def test_a_clash_takes_the_source_prefix() -> None:
    assert unique_names([("files", "read"), ("web", "read"), ("web", "read")]) == [
        "read",
        "web_read",
        "web_read_2",
    ]
    long = "x" * 100
    first, second = unique_names([("a", long), ("b", long)])
    assert len(first) == 64 and len(second) <= 64 and first != second


schemas = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", "array", "string", "integer", None, 3]),
            "title": st.text(max_size=5),
            "description": st.text(max_size=5),
            "$schema": st.just("https://json-schema.org/draft/2020-12/schema"),
            "_meta": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            "required": st.lists(st.text(max_size=3), max_size=3),
            "x-custom": st.integers(),
        },
    ),
    lambda inner: st.fixed_dictionaries(
        {"type": st.sampled_from(["object", "array"])},
        optional={
            "properties": st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=3),
            "items": inner,
            "anyOf": st.lists(inner, max_size=2),
        },
    ),
    max_leaves=8,
)


def _walk(schema: Any) -> list[dict[str, Any]]:
    out = [schema]
    for key in ("properties",):
        for sub in (schema.get(key) or {}).values():
            out += _walk(sub)
    if isinstance(schema.get("items"), dict):
        out += _walk(schema["items"])
    for sub in schema.get("anyOf", []):
        out += _walk(sub)
    return out


@given(schemas | st.none() | st.integers())
def test_reduced_schemas_are_objects_the_api_accepts(schema: Any) -> None:
    reduced, _notes = reduce_schema(schema)
    assert reduced["type"] == "object" and isinstance(reduced["properties"], dict)
    for node in _walk(reduced):
        assert not {"title", "$schema", "_meta", "x-custom"} & set(node)
        if node.get("type") == "object":
            assert "properties" in node
        if node.get("type") == "array":
            assert "items" in node
        for name in node.get("required", []):
            assert name in node.get("properties", {})
    assert reduce_schema(reduced)[0] == reduced  # reducing twice changes nothing more


def test_notes_say_what_was_fixed_and_annotations_go_quietly() -> None:
    reduced, notes = reduce_schema(
        {
            "type": "object",
            "title": "T",
            "properties": {"tags": {"type": "array", "title": "Tags"}, "o": {"type": "object"}},
            "required": ["tags", "nope"],
            "x-vendor": 1,
        }
    )
    assert reduced == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {}},
            "o": {"type": "object", "properties": {}},
        },
        "required": ["tags"],
    }
    assert notes == [
        "parameters: dropped x-vendor",
        "parameters.properties.tags: array without items; added items: {}",
        "parameters.properties.o: object without properties; added properties: {}",
        "parameters: required names no property: nope; dropped",
    ]
    assert reduce_schema({})[0] == {"type": "object", "properties": {}}
    assert reduce_schema({"type": "array"})[1][-1].startswith("root type 'array' is not object")
