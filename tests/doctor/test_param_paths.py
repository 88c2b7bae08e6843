"""The doctor reads the value an error's ``param`` path points at in the client's event
(``session.tools[0].name``): any path a log holds is read or not found, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from voicechat.doctor.rules.params import value_at

EVENT: dict[str, Any] = {"type": "session.update",
                         "session": {"tools": [{"name": "lookup"}, {"name": "weather"}]}}


def test_a_path_with_indexes_reads_the_value() -> None:
    assert value_at(EVENT, "session.tools[1].name") == (True, "weather")
    assert value_at(EVENT, "session.tools.0.name") == (True, "lookup")
    assert value_at(EVENT, "session.tools[2].name") == (False, None)


@given(st.text(max_size=30) | st.lists(st.sampled_from(
    ["session", "tools", "name", "0", "1", "²", "[0]", "[²]", "٠", "", "x"]),
    max_size=5).map(".".join))
@example("session.tools.²")  # str.isdigit() says yes, int() says no
@example("session.tools.٠.name")  # a decimal digit of another script: int() reads it
def test_any_path_is_read_or_not_found(path: str) -> None:
    found, value = value_at(EVENT, path)
    assert found or value is None
