"""A stream's summaries with memory: which tool an output answers, how long the app took, which
MCP server and tool an ``item_id`` is; nothing invented for logs without times."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.eventlog.tool_turns import CALL_ID, Step, function_turn, mcp_turn, records
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import MAX_REMEMBERED, Summarizer
from voicechat.eventlog.summary import summarize


def lines(steps: list[Step], *, timed: bool = True) -> list[str]:
    summarizer = Summarizer()
    return [summarizer.summarize(record) for record in records(steps, timed=timed)]


def test_an_output_says_its_tool_and_how_long_after_the_call_it_was_sent() -> None:
    for beta in (False, True):
        shown = lines(function_turn(beta=beta, answer_after=2.5))
        sent = next(line for line in shown if line.startswith("conversation.item.create "))
        assert sent.endswith("(27 bytes) · get_weather, 2.50 s after the call")
        # the server's echo names the tool but does not repeat the time
        echoes = [line for line in shown if "output for" in line and "item_O1" in line]
        assert echoes and all(line.endswith("item_O1 · get_weather") for line in echoes)


def test_without_times_no_duration_is_said() -> None:
    shown = lines(function_turn(answer_after=2.5), timed=False)
    sent = next(line for line in shown if line.startswith("conversation.item.create "))
    assert sent.endswith("(27 bytes) · get_weather") and " s after" not in sent
    assert not any(" s after" in line or ", 0." in line for line in lines(mcp_turn(),
                                                                          timed=False))


def test_a_done_without_its_name_gets_it_from_the_call_item() -> None:
    """SPEC-BETA lists no ``name`` on ``response.function_call_arguments.done``."""
    steps = function_turn(beta=True)
    for _t, _d, event in steps:
        if event["type"] == "response.function_call_arguments.done":
            del event["name"]
    done = next(line for line in lines(steps) if "arguments.done" in line)
    assert done.endswith("call ? {\"city\":\"Paris\"} (call_kmnUtkOoDYWLgJHP) · get_weather")


def test_a_log_with_only_server_events_times_the_echo() -> None:
    """Many apps log what they receive only: the server's echo of the output is then the
    first sight of it."""
    steps = [s for s in function_turn(answer_after=0.75) if s[1] == "in"]
    echo = next(line for line in lines(steps) if line.startswith("conversation.item.added output"))
    assert echo.endswith("· get_weather, 0.80 s after the call")  # the echo is 50 ms later


def test_the_duration_starts_when_the_model_completed_the_call() -> None:
    """At ``response.output_item.done``: ``conversation.item.done`` came before it in a real GA
    capture (tests/fixtures/realtime/ga_webrtc_persona_hangs_up.json), and it also follows a
    completed call the app seeds into a new session, which the model did not just make."""
    completed = {"type": "function_call", "name": "hang_up", "call_id": "call_z",
                 "status": "completed", "arguments": "{}"}
    summarizer = Summarizer()
    for t, direction, kind in ((0.5, "out", "conversation.item.create"),
                               (1.0, "in", "conversation.item.done"),
                               (1.5, "in", "response.output_item.done")):
        summarizer.summarize(LogRecord(t, "", direction, {"type": kind, "item": completed}))
    line = summarizer.summarize(LogRecord(4.0, "", "out", {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": "call_z", "output": "ok"}}))
    assert line.endswith("· hang_up, 2.50 s after the call")
    seeded = Summarizer()  # history: the app's call and output, echoed, never timed
    for t, direction, kind, item in (
            (0.0, "out", "conversation.item.create", completed),
            (0.1, "in", "conversation.item.done", completed),
            (0.2, "out", "conversation.item.create",
             {"type": "function_call_output", "call_id": "call_z", "output": "ok"})):
        line = seeded.summarize(LogRecord(t, "", direction, {"type": kind, "item": item}))
    assert line.endswith("(2 bytes) · hang_up")


def test_an_output_for_an_unknown_or_missing_call_has_nothing_to_add() -> None:
    for steps in (function_turn(call_id=None), [s for s in function_turn() if s[1] == "out"]):
        shown = lines(steps)
        sent = next(line for line in shown if line.startswith("conversation.item.create "))
        assert sent == summarize(next(e for _t, d, e in steps if d == "out"))


def test_mcp_progress_events_name_the_server_and_tool_and_the_call_time() -> None:
    shown = lines(mcp_turn())
    assert "mcp_list_tools.in_progress item_L1" in shown  # nothing known about it yet
    assert "mcp_list_tools.completed item_L1 · mcp deepwiki" in shown
    assert "conversation.item.create approved for item_A1 · mcp deepwiki.ask_question" in shown
    assert "response.mcp_call.in_progress item_M1 · mcp deepwiki.ask_question" in shown
    assert "response.mcp_call.completed item_M1 · mcp deepwiki.ask_question, 0.85 s" in shown
    assert any(line.startswith("response.mcp_call_arguments.done {") and
               line.endswith("(item_M1) · mcp deepwiki.ask_question") for line in shown)
    failed = lines(mcp_turn(fail=True))
    assert "response.mcp_call.failed item_M1 · mcp deepwiki.ask_question, 0.85 s" in failed
    # the listing's count, once the item is done, says how many tools it had
    summarizer = Summarizer()
    item = {"id": "item_L2", "type": "mcp_list_tools", "server_label": "crm",
            "tools": [{"name": "lookup"}]}
    summarizer.summarize(LogRecord(0.0, "", "in", {"type": "conversation.item.done",
                                                   "item": item}))
    assert summarizer.summarize(LogRecord(0.1, "", "in", {
        "type": "mcp_list_tools.completed", "item_id": "item_L2"})) == (
        "mcp_list_tools.completed item_L2 · mcp crm: 1 tool (lookup)")


def test_other_events_read_as_without_memory() -> None:
    summarizer = Summarizer()
    for event in ({"type": "response.done", "response": {"id": "r", "status": "completed"}},
                  {"type": "input_audio_buffer.speech_started", "audio_start_ms": 5},
                  {"type": "conversation.item.added", "item": {"id": "i", "role": "user"}}):
        assert summarizer.summarize(LogRecord(1.0, "", "in", event)) == summarize(event)
    assert summarizer.line(LogRecord(1.5, "", "out", {"type": "response.create"})) == (
        "   1.500 → response.create")


def test_memory_is_bounded() -> None:
    summarizer = Summarizer()
    for n in range(MAX_REMEMBERED * 3):  # a session that never answers its calls
        summarizer.summarize(LogRecord(float(n), "", "in", {
            "type": "response.output_item.done", "item": {
                "type": "function_call", "name": "f", "call_id": f"call_{n}",
                "status": "completed"}}))
    assert len(summarizer._completed_at) <= MAX_REMEMBERED
    assert len(summarizer._names) <= MAX_REMEMBERED
    line = summarizer.summarize(LogRecord(1e4, "", "out", {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": CALL_ID, "output": ""}}))
    assert line.endswith('"" (0 bytes)')


_junk = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                     lambda c: st.lists(c, max_size=2)
                     | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=6)


@given(st.lists(st.tuples(
    st.sampled_from(["conversation.item.added", "conversation.item.create",
                     "response.output_item.done", "response.function_call_arguments.done",
                     "mcp_list_tools.completed", "response.mcp_call.in_progress",
                     "response.mcp_call.completed", "session.updated"]),
    st.dictionaries(st.sampled_from(["item", "item_id", "call_id", "name", "arguments"]),
                    _junk | st.fixed_dictionaries({}, optional={
                        "type": st.sampled_from(["function_call", "function_call_output",
                                                 "mcp_list_tools", "mcp_call",
                                                 "mcp_approval_response"]),
                        "call_id": _junk, "id": _junk, "status": _junk, "tools": _junk,
                        "approval_request_id": _junk}), max_size=3),
    st.none() | st.floats(0, 1e6)), max_size=12))
def test_any_stream_of_malformed_tool_events_is_summarized(
        stream: list[tuple[str, dict, float | None]]) -> None:
    summarizer = Summarizer()
    for kind, fields, t in stream:
        line = summarizer.line(LogRecord(t or 0.0, "", "in", {"type": kind, **fields}))
        assert kind in line and "\n" not in line
