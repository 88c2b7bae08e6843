"""The approval modal through Pilot: allow once, always, deny, Escape, and a queue of calls.

The app is the real TUI on the scripted handle, whose session is the real core with its real
tool loop: a response calls a tool offered with ``approval = "ask"``, the core asks, the handle
hands the question to the app's prompt exactly as the runtime does, and the answer goes back to
the core, which runs the call (``RunTool``) or tells the model it was denied.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import until
from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, tool_turn
from tests.ui.test_app_fake import started
from voicechat.core.tool_specs import ToolSpec
from voicechat.ui.widgets.approval import ApprovalScreen

WEATHER = ToolSpec("get_weather", "The weather in a city", source="mcp:weather")
CLOCK = ToolSpec("get_time", "The time", source="command")


async def _modal(app: Any, call_id: str) -> ApprovalScreen:
    def shown() -> bool:
        screen = app.screen
        return (isinstance(screen, ApprovalScreen) and screen.request.id == call_id
                and bool(screen.query("#approval-args-text")))  # composed, not only pushed

    await until(shown, what=lambda: f"the approval modal for {call_id}; screen {app.screen}")
    return app.screen  # type: ignore[no-any-return]


def outputs(handle: ScriptedHandle) -> dict[str, str]:
    """The function_call_output items the client sent, by call_id."""
    return {e["item"]["call_id"]: e["item"]["output"] for e in handle.sent
            if e.get("type") == "conversation.item.create"
            and e["item"].get("type") == "function_call_output"}


async def ready(app: Any, pilot: Any, handle: ScriptedHandle) -> None:
    await started(app, pilot)
    handle.set_tools(WEATHER, CLOCK)


@pytest.mark.parametrize(("key", "decision"), [("y", "once"), ("a", "always"), ("n", "deny"),
                                               ("escape", "deny")])
async def test_each_key_answers_and_closes_the_modal(key: str, decision: str) -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1")]))
        screen = await _modal(app, "call_1")
        assert screen.request.tool == "get_weather"
        assert screen.request.source == "MCP server 'weather'"
        await pilot.press(key)
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="modal closed")
        assert handle.answers == [("call_1", decision)]
        if decision == "deny":
            assert handle.runs == []
            assert "denied" in outputs(handle)["call_1"]  # the model is told
        else:
            assert [r.call_id for r in handle.runs] == ["call_1"]


async def test_the_modal_shows_tool_source_and_pretty_arguments_without_secrets() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        arguments = ('{"city": "Paris", "api_key": "sk-abcdefghijklmnop", '
                     '"note": "\\u001b[2Jclear", "password": "hunter2"}')
        handle.run(tool_turn("resp_1", [("get_weather", arguments, "call_2")]))
        screen = await _modal(app, "call_2")
        shown = screen.arguments_text
        assert '"city": "Paris"' in shown and "\n" in shown  # indented JSON, a key a line
        assert "sk-abcdefghijklmnop" not in shown and "hunter2" not in shown
        assert "\x1b" not in shown and "\\u001b[2Jclear" in shown  # JSON's own escape
        facts = str(screen.query_one("#approval-facts").render())
        assert "get_weather" in facts and "MCP server 'weather'" in facts
        buttons = [str(b.label) for b in screen.query("Button")]
        assert buttons == ["[y] Allow once", "[a] Always allow get_weather",
                           "[n] Deny (Esc)"]
        await pilot.press("enter")  # the arguments pane has the focus: Enter answers nothing
        await pilot.pause()
        assert handle.answers == []
        await pilot.click("#deny")
        await until(lambda: handle.answers == [("call_2", "deny")], what="denied by click")


async def test_two_calls_at_once_are_asked_one_after_the_other() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1"),
                                        ("get_time", "{}", "call_2")]))
        screen = await _modal(app, "call_1")
        await until(lambda: [r.id for r in app.tools.approvals.waiting] == ["call_1", "call_2"],
                    what="both queued")
        await pilot.pause()
        assert str(screen.query_one("#approval-waiting").render()) == \
            "1 more call waiting after this one"
        assert len([s for s in app.screen_stack if isinstance(s, ApprovalScreen)]) == 1
        await pilot.press("n")
        await _modal(app, "call_2")
        assert handle.answers == [("call_1", "deny")]
        await pilot.press("y")
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="all answered")
        assert handle.answers == [("call_1", "deny"), ("call_2", "once")]
        assert [r.call_id for r in handle.runs] == ["call_2"]


async def test_always_answers_waiting_calls_of_that_tool_and_later_ones_do_not_ask() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1"),
                                        ("get_weather", '{"city": "Rome"}', "call_2"),
                                        ("get_time", "{}", "call_3")]))
        await _modal(app, "call_1")
        await until(lambda: len(app.tools.approvals.waiting) == 3, what="three queued")
        await pilot.press("a")
        await _modal(app, "call_3")  # the other tool still asks
        assert handle.answers == [("call_1", "always"), ("call_2", "always")]
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="all answered")
        for run in list(handle.runs):
            handle.finish_tool(run.call_id, "ok")
        handle.run(tool_turn("resp_9", [("get_weather", '{"city": "Oslo"}', "call_4")]))
        await until(lambda: "call_4" in [r.call_id for r in handle.runs],
                    what="the next get_weather call runs without asking")
        assert not isinstance(app.screen, ApprovalScreen)


async def test_a_call_that_stops_waiting_leaves_the_queue_and_its_modal_closes() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1"),
                                        ("get_time", "{}", "call_2")]))
        await _modal(app, "call_1")
        # the runtime's prompt is gone for a moment: the core denies call_1 on its own answer
        handle.answer_tool("call_1", "deny")
        app.sync()
        await _modal(app, "call_2")
        assert [r.id for r in app.tools.approvals.waiting] == ["call_2"]
        await pilot.press("y")
        await until(lambda: ("call_2", "once") in handle.answers, what="call_2 answered")


async def test_quitting_denies_what_still_waits_and_removes_the_prompt() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        assert handle.prompts == [app.tools.approvals]
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1")]))
        await _modal(app, "call_1")
        await app.action_quit()
        await pilot.pause()
    assert handle.prompts == [app.tools.approvals, None]
    assert handle.answers == [("call_1", "deny")]


async def test_a_hosted_mcp_approval_request_is_asked_and_answered_on_the_wire() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    request = {"id": "mcpr_1", "type": "mcp_approval_request", "server_label": "deepwiki",
               "name": "ask_question", "arguments": '{"question": "What is MCP?"}'}
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run([
            {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress",
                                                      "output": []}},
            {"type": "response.output_item.added", "response_id": "resp_1", "output_index": 0,
             "item": request},
            {"type": "conversation.item.added", "previous_item_id": None, "item": request},
            {"type": "response.output_item.done", "response_id": "resp_1", "output_index": 0,
             "item": request},
            {"type": "conversation.item.done", "item": request},
            {"type": "response.done", "response": {"id": "resp_1", "status": "completed",
                                                   "output": [request]}},
        ])
        screen = await _modal(app, "mcpr_1")
        assert screen.request.source == "hosted MCP server 'deepwiki'"
        assert '"question": "What is MCP?"' in screen.arguments_text
        await pilot.press("y")
        await until(lambda: any(e.get("item", {}).get("type") == "mcp_approval_response"
                                for e in handle.sent), what="the approval sent")
        sent = next(e["item"] for e in handle.sent
                    if e.get("item", {}).get("type") == "mcp_approval_response")
        assert sent["approval_request_id"] == "mcpr_1" and sent["approve"] is True
        app.sync()
        await pilot.pause()
        text = app.transcript.live_text() + "\n".join(app.transcript.history_lines())
        line = next(line for line in text.splitlines() if "⚙ ask_question" in line)
        assert line.startswith('⚙ ask_question question="What is') and "✓ approved" in line
        assert "approved mcpr_1" not in text  # the answer item is folded into the request


async def test_a_reconnect_withdraws_what_the_old_session_asked() -> None:
    from voicechat.core.policy import SessionPolicy
    from voicechat.core.session import Session

    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", '{"city": "Paris"}', "call_1")]))
        await _modal(app, "call_1")
        handle.session = Session(SessionPolicy())  # what the runtime does on a reconnect
        app.sync()
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="modal withdrawn")
        assert app.tools.approvals.waiting == () and handle.answers == []


async def test_at_80x24_long_arguments_scroll_and_every_answer_stays_on_screen() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    long_args = '{"lines": [' + ", ".join(f'"line {n}"' for n in range(200)) + "]}"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot, handle)
        handle.run(tool_turn("resp_1", [("get_weather", long_args, "call_1")]))
        screen = await _modal(app, "call_1")
        await pilot.pause()
        for button in screen.query("Button"):
            region = button.region
            assert region.bottom <= 24 and region.right <= 80 and region.height > 0, button
        args = screen.query_one("#approval-args")
        assert args.max_scroll_y > 0  # the rest is a scroll away
        await pilot.press("end")
        await until(lambda: args.scroll_y == args.max_scroll_y, what="scrolled to the end",
                    sleep=pilot.pause)
        await pilot.press("n")
        await until(lambda: handle.answers == [("call_1", "deny")], what="denied")
