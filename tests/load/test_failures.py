"""A failed conversation's kind, read from the runner's words: statuses, not digits in a port."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.load.failures import kind_of_error, kind_of_turn


@pytest.mark.parametrize(("text", "kind"), [
    ("could not start the conversation: HTTP 429: Too Many Requests", "rate_limit"),
    ("rate_limit_exceeded: slow down", "rate_limit"),
    ("the server said 401 for the key", "refused"),
    ("HTTP 403 Forbidden", "refused"),
    ("no session within 30 s", "timeout"),
    ("cannot reach ws://127.0.0.1:44291/v1/realtime: Cannot connect to host", "refused"),
    ("session sess_a4290f ended: ValueError", "error"),
    ("ValueError: something else", "error"),
])
def test_kinds(text: str, kind: str) -> None:
    assert kind_of_error(text) == kind


@given(st.integers(min_value=1, max_value=65535))
def test_a_refused_port_is_refused_whatever_its_digits(port: int) -> None:
    """Port 44291 once counted as a rate limit (its "429")."""
    text = (f"could not start the conversation: cannot reach ws://127.0.0.1:{port}/v1/realtime"
            f": Cannot connect to host 127.0.0.1:{port} ssl:default [Connect call failed]")
    assert kind_of_error(text) == "refused"


def test_a_turn_is_a_rate_limit_only_on_the_status() -> None:
    assert kind_of_turn("error rate_limit_exceeded from the server") == "rate_limit"
    assert kind_of_turn("the server said 429") == "rate_limit"
    assert kind_of_turn("audio item item_4290ab was not played whole") == "error"
    assert kind_of_turn("the conversation ended under the turn") == "dropped"
