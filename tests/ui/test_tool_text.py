"""Tool arguments and results as shown: never a control character, never a secret, never a
crash, whatever the model or a tool wrote (property tests), and the shapes people read."""

from __future__ import annotations

import json
import re

from hypothesis import assume, given
from hypothesis import strategies as st

from voicechat.ui.tool_text import (
    duration,
    pretty_arguments,
    pretty_result,
    short_arguments,
    short_result,
)

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


@given(st.text())
def test_any_text_is_safe_in_every_form(text: str) -> None:
    pretty, _ = pretty_arguments(text)
    for shown in (pretty, pretty_result(text)):
        assert CONTROL.search(shown) is None
    for line in (short_arguments(text, 40), short_result(text, 40)):
        assert CONTROL.search(line) is None and "\n" not in line and len(line) <= 40


@given(json_values)
def test_any_json_is_safe_and_pretty_json_stays_json(value: object) -> None:
    text = json.dumps(value)
    pretty, valid = pretty_arguments(text)
    assert valid
    assert CONTROL.search(pretty) is None
    assert "\n" not in short_arguments(text, 60) and len(short_arguments(text, 60)) <= 60


@given(st.sampled_from(["password", "api_key", "Authorization", "token", "client_secret"]),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=30))
def test_secret_named_values_never_show(key: str, secret: str) -> None:
    # a secret that is part of what may show (hypothesis found "client" in "client_secret")
    # would be "shown" however well it is redacted
    assume(secret not in json.dumps({"city": "Paris", "nested": {key: "[redacted]"}}))
    text = json.dumps({"city": "Paris", "nested": {key: secret}})
    for shown in (pretty_arguments(text)[0], short_arguments(text, 200), pretty_result(text),
                  short_result(text, 200)):
        assert secret not in shown and "[redacted]" in shown


def test_the_shapes_people_read() -> None:
    assert short_arguments('{"path": "a.txt", "limit": 3}') == 'path="a.txt", limit=3'
    assert pretty_arguments('{"a": 1}') == ('{\n  "a": 1\n}', True)
    assert pretty_arguments('{"a": ') == ('{"a": ', False)
    assert short_result("line one\nline two") == "line one line two"
    assert short_result("x" * 100, 10) == "x" * 9 + "…"
    assert [duration(s) for s in (0.42, 12.4, 125.0, None)] == ["0.4 s", "12 s", "2 min 5 s",
                                                                 ""]
    assert "sk-abcdefghijklmnop" not in short_result("key sk-abcdefghijklmnop")
