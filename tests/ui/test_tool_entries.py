"""Tool calls in the transcript and the status bar, through Pilot.

Two sources: the real session core fed real GA event shapes (the order of a response's items:
a spoken preamble, a call, a second message), and the widgets given plain
:class:`~voicechat.ui.tool_calls.ToolCall` values (what the tool loop reports: status, duration,
result), which is all the widgets ever receive.
"""

from __future__ import annotations

import re
from typing import Any

from textual.app import App, ComposeResult

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, created, function_call, message, response_done
from tests.ui.test_app_fake import history_text, live_text, settle, started, status_text
from voicechat.ui.handle import ConnectionInfo
from voicechat.ui.tool_calls import ToolCall, running_label
from voicechat.ui.viewstate import Entry, UiState, attach_calls
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.transcript import Transcript

# --- real core: the items of one response, in order ------------------------------------------


def transcript_lines(app: Any) -> list[str]:
    text = history_text(app) + "\n" + live_text(app)
    return [line for line in text.splitlines() if line.strip()]


async def test_a_preamble_then_a_call_then_the_answer_read_in_order() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.send_text("What's the weather in Paris?")
        user = handle.session.view.entries[-1].id
        handle.run([created("resp_1"),
                    *message("resp_1", "item_a1", 0, "Let me check that.", user),
                    *function_call("resp_1", "item_c1", 1, "get_weather", '{"city":"Paris"}',
                                   "call_1", "item_a1"),
                    response_done("resp_1")])
        handle.run([created("resp_2"),
                    *message("resp_2", "item_a2", 0, "It is 18 degrees and sunny.", "item_c1"),
                    response_done("resp_2")])
        await settle(app, pilot)
        lines = transcript_lines(app)
        order = [next(i for i, line in enumerate(lines) if needle in line) for needle in (
            "You: What's the weather", "Assistant: Let me check", "⚙ get_weather",
            "Assistant: It is 18 degrees")]
        assert order == sorted(order), lines


async def test_two_messages_of_one_response_are_two_entries_in_order() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.send_text("Plan my day")
        user = handle.session.view.entries[-1].id
        handle.run([created("resp_1"),
                    *message("resp_1", "item_a1", 0, "Looking at your calendar.", user,
                             "commentary"),
                    *message("resp_1", "item_a2", 1, "You have two meetings.", "item_a1",
                             "final_answer"),
                    response_done("resp_1")])
        await settle(app, pilot)
        lines = transcript_lines(app)
        first = next(i for i, line in enumerate(lines) if "Looking at your calendar" in line)
        second = next(i for i, line in enumerate(lines) if "You have two meetings" in line)
        assert first < second
        assert lines[first].startswith("Assistant:") and lines[second].startswith("Assistant:")


# --- the widgets on plain values -------------------------------------------------------------


class TranscriptApp(App[None]):
    """The transcript alone, with the app's theme variables."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from voicechat.ui.themes import VARIABLE_DEFAULTS

        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield Transcript(id="t")


def call(status: str, **fields: Any) -> ToolCall:
    base: dict[str, Any] = {"call_id": "call_1", "item_id": "item_c1", "name": "get_weather",
                            "source": "MCP server 'weather'",
                            "arguments": '{"city": "Paris", "token": "abc123"}',
                            "status": status, "started_at": 10.0}
    base.update(fields)
    return ToolCall(**base)


def entries(*calls: ToolCall) -> tuple[Entry, ...]:
    rows = [Entry("item_u1", "user", "Weather?", "done"),
            Entry("item_a1", "assistant", "Let me check.", "done")]
    for n, c in enumerate(calls):
        rows.append(Entry(c.item_id, "tool", f"{c.name}({c.arguments})", "done",
                          call_id=c.call_id))
        rows.append(Entry(f"item_o{n}", "tool", c.output, "done", call_id=c.call_id))
    rows.append(Entry("item_a2", "assistant", "Here it is.", "done"))
    return attach_calls(tuple(rows), calls)


def shown(transcript: Transcript) -> str:
    return "\n".join(transcript.history_lines()) + "\n" + transcript.live_text()


async def test_a_finished_call_is_one_line_with_status_duration_and_result() -> None:
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        transcript = app.query_one(Transcript)
        done = call("done", ended_at=10.4, output="18 °C and sunny\nwind 5 km/h")
        transcript.update_entries(entries(done))
        await pilot.pause()
        text = shown(transcript)
        line = next(line for line in text.splitlines() if "get_weather" in line)
        assert line.startswith("⚙ get_weather city=\"Paris\"")
        assert "✓ done 0.4 s → 18 °C and sunny wind 5 km/h" in line
        assert "abc123" not in text  # a secret-named argument is masked
        assert "Here it is." in text.split(line)[1]  # the answer follows the call
        assert text.count("18 °C") == 1  # the output item is folded into its call


async def test_each_outcome_says_so() -> None:
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        transcript = app.query_one(Transcript)
        outcomes = [call("running", call_id="c1", item_id="i1"),
                    call("awaiting_approval", call_id="c2", item_id="i2"),
                    call("failed", call_id="c3", item_id="i3", ended_at=11.0,
                         output="error: exit status 2"),
                    call("denied", call_id="c4", item_id="i4", ended_at=10.0,
                         output="The user denied this call."),
                    call("timed_out", call_id="c5", item_id="i5", ended_at=40.0,
                         output="timed out after 30 s")]
        transcript.update_entries(entries(*outcomes))
        await pilot.pause()
        lines = [line for line in shown(transcript).splitlines() if "get_weather" in line]
        assert len(lines) == 5
        assert lines[0].endswith("⋯ running")  # no result and no clock while it runs
        assert lines[1].endswith("? awaiting approval")
        assert "✗ failed 1.0 s → error: exit status 2" in lines[2]
        assert "⊘ denied 0.0 s → The user denied" in lines[3]  # cut to the line
        assert "⧗ timed out 30 s → timed out after" in lines[4]
        # a running call keeps the tail live; the finished ones before it are history
        assert "⋯ running" in transcript.live_text()


async def test_details_show_source_full_arguments_and_result() -> None:
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        transcript = app.query_one(Transcript)
        done = call("done", ended_at=10.4, output='{"temp": 18, "sky": "sunny"}')
        transcript.update_entries(entries(done))
        await pilot.pause()
        assert "source:" not in shown(transcript)
        transcript.set_tool_details(True)
        await pilot.pause()
        text = shown(transcript)
        assert "    source: MCP server 'weather'" in text
        assert '      "city": "Paris",' in text and '"token": "[redacted]"' in text
        assert '      "temp": 18,' in text
        transcript.set_tool_details(False)
        await pilot.pause()
        assert "source:" not in shown(transcript)


async def test_the_status_bar_shows_the_running_tool_and_its_time() -> None:
    calls = (call("done", call_id="c0", item_id="i0", ended_at=10.2),
             call("running", call_id="c1", item_id="i1", name="read_file", started_at=12.0),
             call("running", call_id="c2", item_id="i2", name="get_time", started_at=12.5))
    assert running_label(calls, now=13.25) == "read_file 1.2 s +1"
    assert running_label(calls[:1], now=13.0) == ""
    assert running_label((call("awaiting_approval"),), now=99.0) == "get_weather: approve?"
    app = StatusApp()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(ConnectionInfo(state="connected"), UiState(), 0.0,
                 tool=running_label(calls, now=13.25))
        await pilot.pause()
        assert "│ tool read_file 1.2 s +1 │" in str(bar.render())
        bar.show(ConnectionInfo(state="connected"), UiState(), 0.0, tool="")
        await pilot.pause()
        assert "tool " not in str(bar.render())


class StatusApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        from voicechat.ui.themes import VARIABLE_DEFAULTS

        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield StatusBar()


async def test_the_real_tool_loop_shows_a_running_call_then_its_result_and_the_answer() -> None:
    from tests.ui.fakes import tool_turn
    from voicechat.core.tool_specs import ToolSpec

    handle = ScriptedHandle(reply="It is 18 degrees in Paris.")
    app = make_app(handle, clock=lambda: handle.clock)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.set_tools(ToolSpec("get_weather", "weather", approval="auto",
                                  source="mcp:weather"))
        handle.send_text("Weather in Paris?")
        user = handle.session.view.entries[-1].id
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1")], user))
        assert [r.call_id for r in handle.runs] == ["call_1"]
        handle.advance(1.5, mic_ms=0)
        await settle(app, pilot)
        assert re.search(r"│ tool get_weather 1\.[5-9] s │", status_text(app))
        assert "⚙ get_weather city=\"Paris\" · ⋯ running" in live_text(app)
        assert app.pacer.ticking is not None  # the seconds count on their own
        handle.finish_tool("call_1", "18 °C, sunny", duration=1.5)
        await settle(app, pilot)
        lines = transcript_lines(app)
        call_line = next(i for i, line in enumerate(lines) if "⚙ get_weather" in line)
        assert "✓ done 1.5 s → 18 °C, sunny" in lines[call_line]
        assert "Assistant: It is 18 degrees in Paris." in lines[call_line + 1:]
        assert sum("18 °C, sunny" in line for line in lines) == 1  # the output is folded in
        assert "tool " not in status_text(app)
        await pilot.press("o")  # now that there is a call, the key is live
        await settle(app, pilot)
        assert "    source: MCP server 'weather'" in history_text(app) + live_text(app)


async def test_a_cut_answer_shows_what_was_heard_then_the_rest_dimmed() -> None:
    """Issue 36: the whole answer plus "cut off" was shown where export shows what was heard."""
    app = TranscriptApp()
    async with app.run_test(size=SIZE) as pilot:
        transcript = app.query_one(Transcript)
        transcript.update_entries((
            Entry("item_u1", "user", "Tell me about Paris.", "done"),
            Entry("item_a1", "assistant", "Paris is the capital of France and", "incomplete",
                  truncated=True, heard="Paris is the capital "),
            Entry("item_u2", "user", "Stop.", "done"),
        ))
        await pilot.pause()
        text = " ".join(shown(transcript).split())
    assert "Assistant: Paris is the capital — cut off (not heard: of France and)" in text, text
