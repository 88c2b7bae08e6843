"""The approval modal through Pilot: allow once, always, deny, Escape, and a queue of calls.

The app is the real TUI on the scripted handle; the handle awaits the app's installed approver
exactly as the runtime does for a call under ``tool_approval = "ask"``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers import until
from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle
from voicechat.ui.handle import ToolApproval
from voicechat.ui.widgets.approval import ApprovalScreen

WEATHER = ToolApproval(id="call_1", tool="get_weather", source="MCP server 'weather'",
                       arguments='{"city": "Paris", "units": "metric"}')


async def _modal(app: Any) -> ApprovalScreen:
    await until(lambda: isinstance(app.screen, ApprovalScreen), what="the approval modal")
    screen = app.screen
    assert isinstance(screen, ApprovalScreen)
    return screen


@pytest.mark.parametrize(("key", "decision"), [("y", "once"), ("a", "always"), ("n", "deny"),
                                               ("escape", "deny")])
async def test_each_key_answers_and_closes_the_modal(key: str, decision: str) -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        answer = asyncio.create_task(handle.ask(WEATHER))
        screen = await _modal(app)
        assert screen.request == WEATHER
        await pilot.press(key)
        assert await asyncio.wait_for(answer, 5) == decision
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="modal closed")


async def test_the_modal_shows_tool_source_and_pretty_arguments_without_secrets() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    request = ToolApproval(
        id="call_2", tool="fs_read_file", original="read.file", source="MCP server 'files'",
        arguments='{"path": "notes.txt", "api_key": "sk-abcdefghijklmnop", '
                  '"note": "\\u001b[2Jclear", "password": "hunter2"}')
    async with app.run_test(size=SIZE) as pilot:
        answer = asyncio.create_task(handle.ask(request))
        screen = await _modal(app)
        shown = screen.arguments_text
        assert '"path": "notes.txt"' in shown  # indented JSON, one key a line
        assert "\n" in shown
        assert "sk-abcdefghijklmnop" not in shown and "hunter2" not in shown
        assert "\x1b" not in shown and "\\u001b[2Jclear" in shown  # JSON's own escape
        facts = str(screen.query_one("#approval-facts").render())
        assert "fs_read_file" in facts and "read.file at its source" in facts
        assert "MCP server 'files'" in facts
        buttons = [str(b.label) for b in screen.query("Button")]
        assert buttons == ["[y] Allow once", "[a] Always allow fs_read_file",
                           "[n] Deny (Esc)"]
        await pilot.press("enter")  # the arguments pane has the focus: Enter answers nothing
        await pilot.pause()
        assert not answer.done()
        await pilot.click("#deny")
        assert await asyncio.wait_for(answer, 5) == "deny"


async def test_invalid_json_arguments_are_shown_as_text_and_said_so() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        answer = asyncio.create_task(handle.ask(
            ToolApproval(id="c", tool="run", source="command", arguments='{"cmd": ')))
        screen = await _modal(app)
        assert screen.arguments_text == '{"cmd": '
        labels = [str(s.render()) for s in screen.query("Static")]
        assert any("not valid JSON" in label for label in labels)
        await pilot.press("y")
        assert await asyncio.wait_for(answer, 5) == "once"


async def test_two_calls_at_once_are_asked_one_after_the_other() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    second = ToolApproval(id="call_2", tool="get_time", source="command", arguments="{}")
    async with app.run_test(size=SIZE) as pilot:
        first_answer = asyncio.create_task(handle.ask(WEATHER))
        second_answer = asyncio.create_task(handle.ask(second))
        screen = await _modal(app)
        assert screen.request == WEATHER
        await until(lambda: app.approvals.waiting == (WEATHER, second), what="both queued")
        waiting = str(screen.query_one("#approval-waiting").render())
        assert waiting == "1 more call waiting after this one"
        assert len([s for s in app.screen_stack if isinstance(s, ApprovalScreen)]) == 1
        await pilot.press("n")
        assert await asyncio.wait_for(first_answer, 5) == "deny"
        await until(lambda: isinstance(app.screen, ApprovalScreen)
                    and app.screen.request == second, what="the second call's modal")
        assert not second_answer.done()
        await pilot.press("y")
        assert await asyncio.wait_for(second_answer, 5) == "once"
        await until(lambda: not isinstance(app.screen, ApprovalScreen), what="all answered")


async def test_always_also_answers_waiting_calls_of_the_same_tool() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    again = ToolApproval(id="call_3", tool="get_weather", source="MCP server 'weather'",
                         arguments='{"city": "Rome"}')
    other = ToolApproval(id="call_4", tool="get_time", source="command", arguments="{}")
    async with app.run_test(size=SIZE) as pilot:
        answers = [asyncio.create_task(handle.ask(r)) for r in (WEATHER, again, other)]
        await _modal(app)
        await until(lambda: len(app.approvals.waiting) == 3, what="three queued")
        await pilot.press("a")
        assert await asyncio.wait_for(answers[0], 5) == "always"
        assert await asyncio.wait_for(answers[1], 5) == "always"
        await until(lambda: isinstance(app.screen, ApprovalScreen)
                    and app.screen.request == other, what="the other tool still asks")
        await pilot.press("escape")
        assert await asyncio.wait_for(answers[2], 5) == "deny"


async def test_a_cancelled_request_leaves_the_queue_and_its_modal_closes() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    second = ToolApproval(id="call_2", tool="get_time", source="command", arguments="{}")
    async with app.run_test(size=SIZE) as pilot:
        first_answer = asyncio.create_task(handle.ask(WEATHER))
        second_answer = asyncio.create_task(handle.ask(second))
        await _modal(app)
        first_answer.cancel()  # the response was cancelled (barge-in) while it waited
        await until(lambda: isinstance(app.screen, ApprovalScreen)
                    and app.screen.request == second, what="the next call's modal")
        assert app.approvals.waiting == (second,)
        await pilot.press("y")
        assert await asyncio.wait_for(second_answer, 5) == "once"


async def test_quitting_denies_what_still_waits_and_removes_the_approver() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        assert handle.approvers == [app.approvals]
        answer = asyncio.create_task(handle.ask(WEATHER))
        await _modal(app)
        await app.action_quit()
        assert await asyncio.wait_for(answer, 5) == "deny"
        await pilot.pause()
    assert handle.approvers == [app.approvals, None]
