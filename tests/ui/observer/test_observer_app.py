"""The observer TUI driven through Textual's Pilot with recorded sessions from a fake producer.

The producer publishes real recorded events (tests/fixtures/realtime) into a real
:class:`ObserverFeed`; the assertions read what the panes draw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.ui.observer.recorded import (
    GA_WS,
    LIVE_PROBLEM,
    PROBLEM,
    FakeProducer,
    events,
    two_sessions,
)
from voicechat.eventlog.record import LogRecord
from voicechat.observe.feed import (
    ObservedEvent,
    ObserverFeed,
    SessionClosed,
    SessionOpened,
)
from voicechat.ui.observer.app import ObserverApp, StatusLine
from voicechat.ui.observer.panes import ProblemsPane, ResponsePane, TranscriptPane, VadPane

SIZE = (140, 44)


def make(producer_items: list[Any], *, maxsize: int = 10_000,
         fail: BaseException | None = None) -> tuple[ObserverApp, FakeProducer]:
    feed = ObserverFeed(maxsize)
    producer = FakeProducer(feed, producer_items, fail)
    return ObserverApp(feed, title="voicechat watch", producer=producer, tick_s=0.01), producer


async def until(pilot: Pilot[Any], check: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


def shown(app: ObserverApp, pane: type[Any]) -> str:
    """What ``pane`` draws, its wrapped rows joined back into lines of text."""
    return " ".join(row.rstrip() for row in str(app.query_one(pane).render()).split("\n"))


def selector(app: ObserverApp) -> list[str]:
    options = app.query_one("#sessions", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_two_sessions_transcript_vad_responses_and_a_live_problem() -> None:
    app, producer = make(two_sessions())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.model.order) == 2 and app.model.events > 200,
                    "both sessions read")
        await pilot.pause()
        labels = selector(app)
        assert app.query_one("#sessions").display  # several sessions: the selector shows
        assert labels[0].startswith("1. rtc_beta beta WebRTC")
        assert "closed by app: hung up" in labels[0]
        assert labels[1].startswith("2. rtc_ga GA WebRTC") and "closed" not in labels[1]

        # The first session closed before the second opened, so the open one took the screen.
        assert app.current == "rtc_ga"
        await pilot.press("1")
        # The beta call's events became a GA-read transcript.
        assert app.current == "rtc_beta"
        transcript = shown(app, TranscriptPane)
        assert "You: Hello!" in transcript
        assert ("Assistant: Hi there! Thank you for calling. My name is Sarah. How can I assist "
                "you with your billing today? [cut off at 1860 ms]") in transcript
        assert "You: Bye." in transcript
        vad = shown(app, VadPane)
        assert "▶ 3.700s  ■ 4.000s  audio 2900–3520 ms (0.62 s)" in vad
        assert "7.000s completed resp_BaU77uJHI9v4UKjkUkgyG" in shown(app, ResponsePane)
        # The beta call had no problem: none shows (the GA call's stays with the GA call).
        assert not app.query_one(ProblemsPane).display or PROBLEM.rule_id not in \
            shown(app, ProblemsPane)
        assert "closed by app" in str(app.query_one(StatusLine).render())
        flows = app._flows
        assert flows["rtc_beta"].records_added == 72 and flows["rtc_beta"].display
        assert flows["rtc_ga"].records_added == 162 and not flows["rtc_ga"].display

        # Switch with n: the GA call (in and out events) shows, without the beta problem.
        await pilot.press("n")
        assert app.current == "rtc_ga"
        assert flows["rtc_ga"].display and not flows["rtc_beta"].display
        shown_ga = flows["rtc_ga"]  # shown again (a layout): its newest event comes into view
        await until(pilot, lambda: shown_ga.scroll_y == shown_ga.max_scroll_y > 0,
                    "the GA pane showing its newest event")
        transcript = shown(app, TranscriptPane)
        assert "Assistant: Can I take your account number and the email address" in transcript
        assert "▶ 9.900s  ■ 10.000s  audio 23500–29020 ms (5.52 s)" in shown(app, VadPane)
        problems = shown(app, ProblemsPane)
        assert PROBLEM.rule_id == "commit-too-small"  # the doctor's own rule, found live
        assert f"[{PROBLEM.rule_id}] {PROBLEM.title}" in problems
        assert f"evidence: {PROBLEM.evidence}" in problems
        assert f"fix: {PROBLEM.fix.splitlines()[0]}" in problems

        # A problem the rule engine sees while this session is open appears at once.
        producer.later = [LIVE_PROBLEM]
        producer.release.set()
        await until(pilot, lambda: "cancel-without-response" in shown(app, ProblemsPane),
                    "live problem")
        assert app.query_one(ProblemsPane).display
        assert f"fix: {LIVE_PROBLEM.fix.splitlines()[0]}" in shown(app, ProblemsPane)

        # 1 goes back to the first session; p cycles backwards; a click in the list selects.
        await pilot.press("1")
        assert app.current == "rtc_beta"
        await pilot.press("p")
        assert app.current == "rtc_ga"
        await pilot.click("#sessions", offset=(3, 1))
        assert app.current == "rtc_beta"


async def test_a_single_session_has_no_selector_and_shows_speech_in_progress() -> None:
    items = [SessionOpened("ws-1", "ws-1 GA gpt-realtime from 127.0.0.1:50312", "websocket",
                           0.0), *events("ws-1", GA_WS)]
    app, _ = make(items)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.events == 12, "the excerpt read")
        await pilot.pause()
        assert not app.query_one("#sessions").display
        assert "▶ 0.200s  ■ 0.300s  audio 11956–14720 ms (2.76 s)" in shown(app, VadPane)
        assert "in progress" in shown(app, ResponsePane)
        assert "Assistant: The …" in shown(app, TranscriptPane)  # one delta, still streaming


async def test_a_long_transcript_shows_its_newest_turn_in_a_small_terminal() -> None:
    app, _ = make(two_sessions())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.model.order) == 2, "sessions")
        await pilot.press("2")
        await pilot.pause()
        pane = app.query_one(TranscriptPane)
        rows = str(pane.render()).split("\n")
        assert len(rows) == pane.content_size.height  # full: older turns scrolled off the top
        # the newest line is the call the persona made while speaking, never answered
        assert shown(app, TranscriptPane).endswith("complete it. Call: hang_up {} …")
        assert "close my account" not in shown(app, TranscriptPane)


async def test_a_new_conversation_replaces_the_proxy_log_until_the_user_picks() -> None:
    ws = [SessionOpened("ws-1", "ws-1", "websocket", 1.0), *events("ws-1", GA_WS)]
    app, producer = make([SessionOpened("proxy", "proxy http://127.0.0.1:8766", "rest", 0.0),
                          *ws])
    producer.later = [SessionOpened("ws-2", "ws-2", "websocket", 2.0)]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.events == 12, "ws-1 read")
        assert app.current == "ws-1"  # not the proxy's HTTP log that opened first
        await pilot.press("p")  # the user picks the proxy log: it stays
        assert app.current == "proxy"
        producer.release.set()
        await until(pilot, lambda: "ws-2" in app.model.order, "ws-2 opened")
        await pilot.pause()
        assert app.current == "proxy"


async def test_the_observers_own_warnings_are_toasts() -> None:
    notice = {"type": "local.notice", "level": "warning",
              "message": "recording stopped: disk full (key sk-proj-abcdefghijklmnopqrstuvwx)"}
    app, _ = make([SessionOpened("ws-1", "ws-1", "websocket", 0.0),
                   ObservedEvent("ws-1", LogRecord(1.0, "", "local", notice))])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.events == 1, "the notice read")
        await pilot.pause()
        toasts = [str(n.message) for n in app._notifications]
        assert any(t.startswith("ws-1: recording stopped: disk full") for t in toasts), toasts
        assert not any("abcdefghijklmnop" in t for t in toasts)


async def test_feed_drops_are_shown_with_their_count() -> None:
    items = [SessionOpened("ws-1", "ws-1", "websocket", 0.0), *events("ws-1", GA_WS)] * 3
    app, _ = make(items, maxsize=10)  # the producer publishes 39 items at once: 29 dropped
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.dropped > 0, "the drop reported")
        await pilot.pause()
        assert app.model.dropped == 29
        assert "⚠ 29 events dropped (the screen fell behind)" in \
            str(app.query_one(StatusLine).render())
        assert any("29 events dropped" in str(n.message) for n in app._notifications)


async def test_a_producer_crash_is_a_redacted_problem_and_the_app_stays_open() -> None:
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
    app, producer = make([SessionOpened("ws-1", "ws-1", "websocket", 0.0)],
                         fail=OSError(f"upstream refused Authorization: Bearer {key}"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.producer_state == "failed", "the crash noticed")
        await pilot.pause()
        problems = shown(app, ProblemsPane)
        assert "voicechat watch stopped: OSError" in problems
        assert "upstream refused Authorization" in problems
        assert key not in problems and "A1b2C3d4" not in problems
        assert app.query_one(ProblemsPane).display
        assert "voicechat watch failed" in str(app.query_one(StatusLine).render())
        assert app.is_running  # still open: the user reads the problem, then quits
        await pilot.press("q")
    assert not producer.cancelled


async def test_q_cancels_the_producer_and_waits_for_it() -> None:
    app, producer = make([SessionOpened("ws-1", "ws-1", "websocket", 0.0)])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.order == ["ws-1"], "the session opened")
        assert not producer.cancelled
        await pilot.press("q")
        assert producer.cancelled  # cancelled and awaited before the app exits
        assert app._producer_task is not None and app._producer_task.done()


async def test_a_producer_that_ends_is_reported() -> None:
    feed = ObserverFeed()

    async def once() -> None:
        feed.publish(SessionOpened("ws-1", "ws-1", "websocket", 0.0))
        feed.publish(SessionClosed("ws-1", "upstream", "server closed 1000", 1.0))
        feed.close()

    app = ObserverApp(feed, title="voicechat proxy", producer=once, tick_s=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.feed_closed and app.producer_state == "finished",
                    "the end noticed")
        await pilot.pause()
        status = str(app.query_one(StatusLine).render())
        assert "voicechat proxy finished" in status
        assert "closed by upstream" in status
        assert any("has finished" in str(n.message) for n in app._notifications)


async def test_panes_toggle_and_the_event_filter_cycles() -> None:
    app, _ = make(two_sessions())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.model.order) == 2, "sessions")
        await pilot.press("e")
        assert not app.query_one("#events").display
        await pilot.press("e", "v")
        assert app.query_one("#events").display and not app.query_one("#vad-box").display
        await pilot.press("x")
        assert not app.query_one(ProblemsPane).display
        await pilot.press("f")
        assert app.current is not None and app._flows[app.current].filter == "no_deltas"




def _tool_session(session: str) -> list[Any]:
    """A GA session whose app answers a function call 1.25 s after it completed, then uses a
    hosted MCP server with approval (the reference's event sequences)."""
    from tests.eventlog.tool_turns import function_turn, mcp_turn

    steps = function_turn(answer_after=1.25) + [(20 + t, d, e) for t, d, e in mcp_turn()]
    return [SessionOpened(session, f"{session} GA gpt-realtime", "websocket", 0.0),
            *(ObservedEvent(session, LogRecord(t, "", d, e)) for t, d, e in steps)]  # type: ignore[arg-type]


async def test_a_tool_turn_shows_calls_in_the_transcript_and_events() -> None:
    items = _tool_session("ws-1")
    app, _ = make(items)
    async with app.run_test(size=(200, 44)) as pilot:
        await until(pilot, lambda: app.model.events == len(items) - 1, "the tool turns read")
        await pilot.pause()
        turns = [(t.role, t.text, t.result, t.note, t.final)
                 for t in app.model.sessions["ws-1"].turns.values()]
        assert turns == [
            ("call", 'get_weather {"city":"Paris"}',
             '"{\\"temp_c\\":21,\\"sky\\":\\"sunny\\"}" (27 bytes, 1.25 s)', "", True),
            ("mcp", "deepwiki: 2 tools (ask_question, read_wiki_structure)", "", "", True),
            ("approval", 'deepwiki.ask_question {"repoName":"openai/openai-python","question":'
             '"How is the c… (77 bytes)', "", "approved", True),
            ("mcp", 'deepwiki.ask_question {"repoName":"openai/openai-python","question":'
             '"How is the c… (77 bytes)',
             '"The client is generated from the OpenAPI specification with…" (70 bytes)',
             "", True)]
        transcript = shown(app, TranscriptPane)
        assert 'Call: get_weather {"city":"Paris"} → "{\\"temp_c\\":21,\\"sky\\":\\"sunny\\"}" ' \
            "(27 bytes, 1.25 s)" in transcript
        assert "MCP: deepwiki: 2 tools (ask_question, read_wiki_structure)" in transcript
        assert "[approved]" in transcript and "Approval? deepwiki.ask_question" in transcript
        rows = app._flows["ws-1"].rows
        folds = {r.kind: r.count for r in rows if r.delta}
        assert folds == {"response.function_call_arguments.delta": 4,
                         "response.mcp_call_arguments.delta": 3}
        sent = next(r for r in rows if r.record.dir == "out" and "output for" in r.text)
        assert sent.text.endswith("· get_weather, 1.25 s after the call")
        assert any(r.text == "item_M1 · mcp deepwiki.ask_question, 0.85 s" for r in rows)


async def test_unfinished_unknown_and_hostile_calls_are_said_as_such() -> None:
    rid = "resp_X"
    call = {"id": "item_C9", "type": "function_call", "name": "book\x1b[2J", "call_id": "call_9",
            "status": "in_progress", "arguments": ""}
    cut = {**call, "status": "incomplete", "arguments": '{"day":"mon'}
    events_ = [
        ("in", {"type": "response.output_item.added", "response_id": rid, "item": call}),
        ("in", {"type": "response.done", "response": {
            "id": rid, "status": "cancelled", "status_details": {"reason": "turn_detected"},
            "output": [cut]}}),
        ("out", {"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": "call_nobody", "output": "\x07ok\u202e"}}),
    ]
    items = [SessionOpened("ws-1", "ws-1", "websocket", 0.0),
             *(ObservedEvent("ws-1", LogRecord(float(i), "", d, e))  # type: ignore[arg-type]
               for i, (d, e) in enumerate(events_))]
    app, _ = make(items)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.model.events == 3, "the events read")
        await pilot.pause()
        transcript = shown(app, TranscriptPane)
        assert "Call: book\\x1b[2J … [incomplete]" in transcript
        assert 'Output for call_nobody → "\\u0007ok\\u202e" (6 bytes)' in transcript
        assert "\x1b" not in transcript and "\x07" not in transcript
