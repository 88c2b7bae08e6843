"""One-line summaries of events, both dialects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voicechat.eventlog.summary import (
    QUIET_TYPES,
    arrow,
    is_delta,
    is_error,
    summarize,
    summary_line,
)


def test_summaries_name_the_fields_that_matter() -> None:
    started = {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1200,
               "item_id": "item_U1"}
    assert summarize(started) == "input_audio_buffer.speech_started item_U1 at 1200 ms"
    assert summarize({"type": "response.done", "response": {
        "id": "resp_1", "status": "cancelled",
        "status_details": {"type": "cancelled", "reason": "turn_detected"}}}) == (
        "response.done resp_1 cancelled (turn_detected)")
    assert summarize({"type": "error", "error": {
        "code": "unknown_parameter", "message": "Unknown parameter: 'session.x'."}}) == (
        "error unknown_parameter: Unknown parameter: 'session.x'.")
    assert summarize({"type": "response.audio.delta", "response_id": "r", "item_id": "i",
                      "delta": {"bytes": 960}}) == "response.audio.delta r i 960 bytes"
    assert summarize({"type": "local.mic.muted", "reason": "playback"}) == (
        "local.mic.muted reason=playback")
    assert summarize({"type": "made.up"}) == "made.up"


def test_session_summary_in_both_dialects() -> None:
    ga = {"type": "session.updated", "session": {"type": "realtime", "audio": {
        "input": {"transcription": None, "turn_detection": {
            "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
            "silence_duration_ms": 200}}, "output": {"voice": "marin"}}}}
    assert summarize(ga) == ("session.updated realtime, server_vad 0.5/300/200, transcription "
                             "off, voice marin")
    beta = {"type": "session.update", "session": {
        "turn_detection": None, "input_audio_transcription": {"model": "whisper-1"}}}
    assert summarize(beta) == "session.update vad off, transcription whisper-1"


def test_long_text_is_clipped_to_one_line() -> None:
    line = summarize({"type": "conversation.item.input_audio_transcription.completed",
                      "item_id": "i", "transcript": "word\nword " * 50})
    assert "\n" not in line and len(line) < 140 and line.endswith('…"')


def test_classifiers_and_line() -> None:
    assert is_delta("response.output_audio_transcript.delta") and is_delta(
        "input_audio_buffer.append")
    assert not is_delta("response.done")
    assert is_error({"type": "conversation.item.input_audio_transcription.failed"})
    assert is_error({"type": "response.done", "response": {"status": "failed"}})
    assert not is_error({"type": "response.done", "response": {"status": "completed"}})
    assert (arrow("in"), arrow("out"), arrow("local")) == ("←", "→", "·")
    assert summary_line(1.5, "out", {"type": "response.create"}) == "   1.500 → response.create"


def test_response_done_shows_its_token_usage() -> None:
    usage = {"input_tokens": 1120, "output_tokens": 252, "obfuscation": "x",
             "input_token_details": {"text_tokens": 1000, "audio_tokens": 120,
                                     "cached_tokens": 960},
             "output_token_details": {"text_tokens": 52, "audio_tokens": 200}}
    line = summarize({"type": "response.done",
                      "response": {"id": "resp_1", "status": "completed", "usage": usage}})
    assert line == ("response.done resp_1 completed · in 1120 (text 1000, audio 120, cached 960)"
                    " · out 252 (text 52, audio 200)")
    assert summarize({"type": "response.done", "response": "x"}) == "response.done"
    assert summarize({"type": "response.done", "response": {"id": "r", "usage": 3}}) == (
        "response.done r")

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                       lambda c: st.lists(c, max_size=2)
                       | st.dictionaries(st.text(max_size=10), c, max_size=3), max_leaves=6)


@given(st.sampled_from(["response.done", "response.created", "session.updated",
                        "rate_limits.updated", "response.output_audio.delta", "error",
                        "conversation.item.added", "conversation.item.input_audio_transcription"
                        ".segment"]),
       st.dictionaries(st.sampled_from(["response", "session", "rate_limits", "delta", "error",
                                        "item", "usage", "item_id"]), _values, max_size=3))
def test_any_malformed_event_is_summarized_without_raising(kind: str, fields: dict) -> None:
    """The TUI's event pane and --no-ui print every event: a bad one must not raise there."""
    assert summarize({"type": kind, **fields}).startswith(kind)


# --- tool calls and hosted MCP (realtime-tools.md §2, §3, §5) -------------------------------

from tests.eventlog.tool_turns import (  # noqa: E402
    CALL_ID,
    MCP_ARGUMENTS,
    function_turn,
    mcp_turn,
)


def _of(steps: list, kind: str, direction: str = "in", nth: int = 0) -> dict:
    return [e for _t, d, e in steps if e["type"] == kind and d == direction][nth]


def test_a_function_call_reads_as_name_arguments_call_id_and_status() -> None:
    for beta in (False, True):
        turn = function_turn(beta=beta)
        assert summarize(_of(turn, "response.function_call_arguments.done")) == (
            'response.function_call_arguments.done call get_weather {"city":"Paris"} '
            f"({CALL_ID})")
        assert summarize(_of(turn, "response.output_item.added")) == (
            f"response.output_item.added call get_weather ({CALL_ID}) in_progress item_C1")
        assert summarize(_of(turn, "response.output_item.done")) == (
            'response.output_item.done call get_weather {"city":"Paris"} '
            f"({CALL_ID}) completed item_C1")
        created = "conversation.item.created" if beta else "conversation.item.added"
        assert summarize(_of(turn, created)).startswith(f"{created} call get_weather (")
        assert summarize(_of(turn, "response.function_call_arguments.delta")) == (
            f'response.function_call_arguments.delta {CALL_ID} "{{\\"ci"')
        assert summarize(_of(turn, "conversation.item.create", "out")) == (
            f'conversation.item.create output for {CALL_ID}: '
            '"{\\"temp_c\\":21,\\"sky\\":\\"sunny\\"}" (27 bytes)')
        done = summarize(_of(turn, "response.done"))
        assert done.startswith("response.done resp_CALL1 completed · calls get_weather "
                               "completed · in 310")


def test_response_done_lists_every_call_with_its_status() -> None:
    output = [{"type": "message", "role": "assistant", "content": []},
              {"type": "function_call", "name": "lookup", "status": "completed"},
              {"type": "function_call", "name": "book", "status": "incomplete"},
              {"type": "mcp_call", "server_label": "wiki", "name": "ask", "error": {"x": 1}},
              {"type": "function_call"}, "junk"]
    assert summarize({"type": "response.done", "response": {
        "id": "r", "status": "cancelled", "status_details": {"reason": "turn_detected"},
        "output": output}}) == ("response.done r cancelled (turn_detected) · calls lookup "
                                "completed, book incomplete, mcp wiki.ask failed, ? ?")


def test_hosted_mcp_items_and_events_read_as_servers_tools_approvals_and_calls() -> None:
    turn = mcp_turn()
    items = [e for _t, _d, e in turn if e["type"] == "conversation.item.done"]
    assert summarize(items[0]) == ("conversation.item.done mcp deepwiki: 2 tools (ask_question,"
                                   " read_wiki_structure) item_L1")
    # an empty list on the item's first sight is a listing under way, not "0 tools"
    assert summarize(_of(turn, "conversation.item.added")) == (
        "conversation.item.added mcp deepwiki: listing tools item_L1")
    assert summarize({"type": "conversation.item.done", "item": {
        "type": "mcp_list_tools", "server_label": "old-sse", "tools": []}}) == (
        "conversation.item.done mcp old-sse: 0 tools")  # the F11 finding
    assert summarize(items[1]) == (
        f"conversation.item.done approval? deepwiki.ask_question {MCP_ARGUMENTS} item_A1")
    assert summarize(_of(turn, "conversation.item.create", "out")) == (
        "conversation.item.create approved for item_A1")
    denied = _of(mcp_turn(approve=False), "conversation.item.create", "out")
    assert summarize(denied) == "conversation.item.create denied (not this repo) for item_A1"
    assert summarize(items[2]).startswith(
        f"conversation.item.done mcp deepwiki.ask_question {MCP_ARGUMENTS} → \"The client is "
        "generated from the OpenAPI specification with…\" (70 bytes) item_M1")
    failed = [e for _t, _d, e in mcp_turn(fail=True) if e["type"] == "conversation.item.done"]
    assert summarize(failed[2]).endswith("→ error http_error 503: Service Unavailable item_M1")
    assert summarize(_of(turn, "response.mcp_call_arguments.done")) == (
        f"response.mcp_call_arguments.done {MCP_ARGUMENTS} (item_M1)")
    assert summarize(_of(turn, "mcp_list_tools.completed")) == "mcp_list_tools.completed item_L1"
    assert is_error(_of(mcp_turn(fail=True), "response.mcp_call.failed"))
    assert is_delta("response.mcp_call_arguments.delta")
    assert {"response.function_call_arguments.delta",
            "response.mcp_call_arguments.delta"} <= QUIET_TYPES


def test_hostile_arguments_and_outputs_stay_one_short_safe_line() -> None:
    megabyte = '{"blob":"' + "x" * (1 << 20) + '"}'
    line = summary_line(1.0, "in", {"type": "response.function_call_arguments.done",
                                    "name": "upload", "call_id": "call_1",
                                    "arguments": megabyte})
    assert len(line) < 200 and f"({len(megabyte)} bytes) (call_1)" in line and "…" in line
    # not JSON at all, control characters, a bidi override: shown, but inert
    hostile = 'city=Paris\x1b]0;pwned\x07\n\u202eevil'
    line = summary_line(1.0, "in", {"type": "response.function_call_arguments.done",
                                    "name": "get\x1b[2J", "call_id": "call_1",
                                    "arguments": hostile})
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "city=Paris\\x1b]0;pwned\\x07 \\u202eevil" in line and "get\\x1b[2J" in line
    out = summary_line(1.0, "out", {"type": "conversation.item.create", "item": {
        "type": "function_call_output", "call_id": "call_1", "output": "é" * 300_000}})
    assert len(out) < 200 and "(600000 bytes)" in out
    # a missing call id is said, a non-string output is shown for what it is
    assert summarize({"type": "response.function_call_arguments.done", "name": "f",
                      "arguments": "{}"}) == (
        "response.function_call_arguments.done call f {} (no call_id)")
    assert summarize({"type": "conversation.item.create", "item": {
        "type": "function_call_output", "output": {"temp": 21}}}) == (
        'conversation.item.create output for no call_id: {"temp": 21} (not a string)')


def test_secrets_typed_into_arguments_are_masked_where_shown() -> None:
    """Records are redacted on the way in; a summary masks again what it shows, in case a
    caller hands it an event that was not (the observer's feed, a test)."""
    line = summarize({"type": "response.function_call_arguments.done", "name": "login",
                      "call_id": "call_1",
                      "arguments": '{"api_key":"hunter2hunter2","token":"sk-abcdefghijklmnop"}'})
    assert "hunter2" not in line and "sk-abcdefghijklmnop" not in line
    assert '{"api_key":"[redacted]","token":"[redacted]"}' in line
    # a key cut by the summary's limit is still masked whole, never shown in part
    key = "sk-proj-" + "A1b2C3d4" * 20
    for at in range(0, 200, 3):
        for event in ({"type": "conversation.item.create", "item": {
                "type": "function_call_output", "call_id": "c", "output": "x" * at + " " + key}},
                {"type": "response.function_call_arguments.done", "call_id": "c",
                 "arguments": "x" * at + " " + key}):
            line = summarize(event)
            assert "A1b2" not in line and "proj" not in line, (at, line)


_tool_items = st.fixed_dictionaries(
    {"type": st.sampled_from(["function_call", "function_call_output", "mcp_list_tools",
                              "mcp_call", "mcp_approval_request", "mcp_approval_response"])},
    optional={k: _values for k in ("name", "call_id", "arguments", "output", "status", "tools",
                                   "server_label", "error", "approve", "reason",
                                   "approval_request_id", "id")})


@given(st.sampled_from(["conversation.item.added", "conversation.item.done",
                        "conversation.item.create", "response.output_item.done",
                        "conversation.item.created"]), _tool_items)
def test_any_malformed_tool_item_is_summarized_without_raising(kind: str, item: dict) -> None:
    line = summarize({"type": kind, "item": item})
    assert line.startswith(kind) and "\n" not in line


@given(st.sampled_from(["response.function_call_arguments.done",
                        "response.function_call_arguments.delta", "response.mcp_call.completed",
                        "response.mcp_call_arguments.done", "mcp_list_tools.completed",
                        "response.done"]),
       st.dictionaries(st.sampled_from(["name", "call_id", "arguments", "delta", "item_id",
                                        "response", "output"]), _values, max_size=4))
def test_any_malformed_tool_event_is_summarized_without_raising(kind: str, fields: dict) -> None:
    assert summarize({"type": kind, **fields}).startswith(kind)
