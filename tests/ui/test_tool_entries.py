"""Tool calls in the transcript and the status bar, through Pilot.

Two sources: the real session core fed real GA event shapes (the order of a response's items:
a spoken preamble, a call, a second message), and the widgets given plain
:class:`~voicechat.ui.tool_calls.ToolCall` values (what the tool loop reports: status, duration,
result), which is all the widgets ever receive.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, response_done
from tests.ui.test_app_fake import history_text, live_text, settle, started
from voicechat.ui.handle import ConnectionInfo
from voicechat.ui.tool_calls import ToolCall, running_label
from voicechat.ui.viewstate import Entry, UiState, attach_calls
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.transcript import Transcript

# --- real core: the items of one response, in order ------------------------------------------


def message(resp: str, item: str, index: int, text: str, previous: str | None,
            phase: str | None = None) -> list[dict[str, Any]]:
    """One assistant message of a response, added, streamed and done (GA shapes)."""
    body: dict[str, Any] = {"id": item, "type": "message", "status": "in_progress",
                            "role": "assistant", "content": []}
    if phase:
        body["phase"] = phase  # gpt-realtime-2: commentary / final_answer
    done = {**body, "status": "completed",
            "content": [{"type": "output_audio", "transcript": text}]}
    return [
        {"type": "response.output_item.added", "response_id": resp, "output_index": index,
         "item": body},
        {"type": "conversation.item.added", "previous_item_id": previous, "item": body},
        {"type": "response.content_part.added", "response_id": resp, "item_id": item,
         "output_index": index, "content_index": 0, "part": {"type": "audio", "transcript": ""}},
        *[{"type": "response.output_audio_transcript.delta", "response_id": resp,
           "item_id": item, "output_index": index, "content_index": 0, "delta": w + " "}
          for w in text.split()],
        {"type": "response.output_audio_transcript.done", "response_id": resp, "item_id": item,
         "output_index": index, "content_index": 0, "transcript": text},
        {"type": "response.output_item.done", "response_id": resp, "output_index": index,
         "item": done},
        {"type": "conversation.item.done", "item": done},
    ]


def function_call(resp: str, item: str, index: int, name: str, arguments: str, call_id: str,
                  previous: str | None) -> list[dict[str, Any]]:
    """One function_call item of a response, its arguments streamed (GA shapes, §2.1)."""
    added = {"id": item, "type": "function_call", "status": "in_progress", "name": name,
             "call_id": call_id, "arguments": ""}
    done = {**added, "status": "completed", "arguments": arguments}
    return [
        {"type": "response.output_item.added", "response_id": resp, "output_index": index,
         "item": added},
        {"type": "conversation.item.added", "previous_item_id": previous, "item": added},
        {"type": "response.function_call_arguments.delta", "response_id": resp, "item_id": item,
         "output_index": index, "call_id": call_id, "delta": arguments},
        {"type": "response.function_call_arguments.done", "response_id": resp, "item_id": item,
         "output_index": index, "call_id": call_id, "name": name, "arguments": arguments},
        {"type": "response.output_item.done", "response_id": resp, "output_index": index,
         "item": done},
        {"type": "conversation.item.done", "item": done},
    ]


def created(resp: str) -> dict[str, Any]:
    return {"type": "response.created", "response": {"id": resp, "object": "realtime.response",
                                                      "status": "in_progress", "output": []}}


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
        assert lines[1].endswith("? waiting for your approval")
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
