"""A watched session's close time is end-of-session evidence for the live doctor, as a log
file's own timeline is for ``voicechat doctor``: a session that stayed open long after its last
event shows what the events alone cannot (here: a tool result nobody asked a reply for)."""

from __future__ import annotations

from tests.doctor.test_tool_rules import output, turn
from voicechat.observe.feed import ObservedItem, ObserverFeed, ProblemSeen
from voicechat.observe.live import SessionTap


def problems_at_close(close_t: float) -> list[str]:
    """Tap a session whose last act is a function_call_output with no response.create, close
    it at ``close_t`` (the session's ``t`` clock), and return the rules the close completed."""
    feed = ObserverFeed()
    now = [0.0]
    tap = SessionTap("ws-1", feed, lambda: now[0], 0.0)
    for t, direction, event in turn() + output(4.0, "call_A"):
        now[0] = t
        tap.event(direction, event)  # type: ignore[arg-type]
    items: list[ObservedItem] = []
    while (item := feed.get_nowait()) is not None:
        items.append(item)
    assert not any(isinstance(i, ProblemSeen) for i in items)  # open: nothing certain yet
    now[0] = close_t
    tap.close("app", "the app closed the WebSocket")
    found = []
    while (item := feed.get_nowait()) is not None:
        if isinstance(item, ProblemSeen):
            found.append(item.rule_id)
            assert item.t == close_t
    return found


def test_a_session_left_silent_after_a_tool_result_is_a_problem_at_its_close() -> None:
    assert problems_at_close(30.0) == ["tool-output-without-response"]


def test_a_session_closed_right_after_the_tool_result_is_not() -> None:
    assert problems_at_close(5.0) == []
