"""A session tap turns wire events into redacted records, feed items and live problems; the
printer turns those into grep-able ``--no-ui`` lines."""

from __future__ import annotations

import io
import itertools

from tests.doctor.corpus import LOGS
from voicechat.doctor import read_entries
from voicechat.observe.feed import (
    FeedDropped,
    ObservedEvent,
    ObservedItem,
    ObserverFeed,
    ProblemSeen,
    SessionClosed,
)
from voicechat.observe.live import SessionTap
from voicechat.observe.printer import FeedPrinter, item_lines


def _drain(feed: ObserverFeed) -> list[ObservedItem]:
    items = []
    while (item := feed.get_nowait()) is not None:
        items.append(item)
    return items


def _tap(feed: ObserverFeed, recorded: list[object] | None = None) -> SessionTap:
    ticks = itertools.count()
    return SessionTap("ws-1", feed, lambda: next(ticks) / 1000, 0.0,  # a ms per event
                      record=None if recorded is None else recorded.append)


def test_a_misuse_is_a_problem_while_the_session_is_still_open() -> None:
    feed = ObserverFeed()
    tap = _tap(feed)
    tap.open("ws-1 GA", "websocket")
    for entry in read_entries(LOGS / "cancel_without_response_ga.jsonl"):
        tap.event(entry.dir, entry.event)
    items = _drain(feed)
    problems = [item for item in items if isinstance(item, ProblemSeen)]
    assert [p.rule_id for p in problems] == ["cancel-without-response"]
    assert not any(isinstance(item, SessionClosed) for item in items)
    tap.close("app", "the app closed the WebSocket")
    tap.close("upstream", "twice")  # idempotent: one close only
    closing = _drain(feed)
    assert [type(item) for item in closing] == [SessionClosed]
    assert closing[0].by == "app"  # type: ignore[union-attr]


def test_credentials_and_audio_never_leave_the_tap() -> None:
    feed = ObserverFeed()
    recorded: list[object] = []
    tap = _tap(feed, recorded)
    secret = "ek_68af3c0ffee0123456789abcdef"
    tap.event("in", {"type": "realtime.client_secret", "value": secret,
                     "client_secret": {"value": secret}})
    tap.event("in", {"type": "response.output_audio.delta", "delta": "AAAA" * 5000})
    for item in _drain(feed):
        text = repr(item)
        assert secret not in text and "AAAA" * 10 not in text
    assert len(recorded) == 2 and all(secret not in repr(r) for r in recorded)


def test_printer_lines_are_grepable_and_show_control_characters_as_escapes() -> None:
    feed = ObserverFeed()
    tap = _tap(feed)
    tap.open("ws-1 \x1b[31mred", "websocket")
    tap.event("out", {"type": "response.cancel"})
    tap.event("in", {"type": "error", "error": {
        "type": "invalid_request_error", "code": "response_cancel_not_active",
        "message": "Cancellation failed: no active response found"}})
    tap.event("in", {"type": "response.output_audio.delta", "delta": "AAAA"})
    tap.close("upstream", "the server closed the connection (1011)")
    out = io.StringIO()
    printer = FeedPrinter(out)
    for item in _drain(feed):
        printer.print_item(item)
    text = out.getvalue()
    assert "\x1b" not in text and "\\x1b[31mred" in text
    lines = text.splitlines()
    assert lines[0].startswith("session ws-1 opened")
    assert any(line.startswith("problem cancel-without-response [ws-1]") for line in lines)
    assert not any("output_audio.delta" in line for line in lines)  # a flood, left out
    assert lines[-1].startswith("session ws-1 closed by the upstream")
    assert item_lines(FeedDropped(3))[0].startswith("dropped 3 event(s)")


def test_a_closed_output_stops_printing_not_the_caller() -> None:
    out = io.StringIO()
    out.close()
    printer = FeedPrinter(out)
    printer.print_item(FeedDropped(1))
    assert printer.broken


def test_events_are_published_before_the_problem_they_complete() -> None:
    feed = ObserverFeed()
    tap = _tap(feed)
    for entry in read_entries(LOGS / "cancel_without_response_ga.jsonl"):
        tap.event(entry.dir, entry.event)
    items = _drain(feed)
    first_problem = next(i for i, item in enumerate(items) if isinstance(item, ProblemSeen))
    assert isinstance(items[first_problem - 1], ObservedEvent)
    assert items[first_problem - 1].record.event["type"] == "error"  # type: ignore[union-attr]


def test_printer_lines_show_tool_calls_per_session() -> None:
    """Two watched apps run the same tool turn: each session's output line names its tool and
    the time its app took (each session remembers its own calls), and argument deltas, a
    flood, are left out."""
    import re

    from tests.eventlog.tool_turns import CALL_ID, function_turn

    feed = ObserverFeed()
    ticks_1, ticks_2 = itertools.count(), itertools.count()  # one event a second, or two
    taps = [SessionTap(name, feed, clock, 0.0) for name, clock in (
        ("ws-1", lambda: 1.0 * next(ticks_1)), ("ws-2", lambda: 2.0 * next(ticks_2)))]
    for tap in taps:
        tap.open(f"{tap.session} app", "websocket")
    for _t, direction, event in function_turn():
        for tap in taps:
            tap.event(direction, event)
    out = io.StringIO()
    printer = FeedPrinter(out)
    for item in _drain(feed):
        printer.print_item(item)
    lines = out.getvalue().splitlines()
    assert not any("arguments.delta" in line for line in lines)
    for session, step in (("ws-1", 1.0), ("ws-2", 2.0)):
        mine = [line for line in lines if line.startswith(f"[{session}] ")]
        assert any(line.endswith(f'← response.function_call_arguments.done call get_weather '
                                 f'{{"city":"Paris"}} ({CALL_ID})') for line in mine)
        sent = next(line for line in mine if "→ conversation.item.create output" in line)
        # the call completed at output_item.done; the output is sent three events later
        match = re.search(r"· get_weather, (\d+\.\d\d) s after the call$", sent)
        assert match and float(match.group(1)) == 3 * step, sent
