"""Tools that go wrong, in a real conversation: each is a notice naming the fix, an output
telling the model, and the conversation going on (issue #28, item 6), plus the user's turn
while a tool runs.

Real parts: the runtime, the embedded local server over WebSocket on 127.0.0.1, stdio MCP
servers built with the official SDK (mcp_server.py), command tools as subprocesses. The model is
a fake chat endpoint (tests/server/fake_chat.py) that calls the tool each test names, then
answers with whatever the tool output was.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_headless_tools import MCP_SERVER, answer_with_tool_result
from tests.runtime.conversation import Conversation
from tests.server.fake_chat import FakeChat, calls_reply, fake_chat, text_reply
from voicechat.config import Settings
from voicechat.runtime import Runtime


@pytest.fixture(autouse=True)
def _log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def server_entry(mode: str = "") -> dict[str, Any]:
    return {"command": sys.executable, "args": [str(MCP_SERVER), *([mode] if mode else [])]}


@asynccontextmanager
async def talking(chat: FakeChat, **settings: Any) -> AsyncIterator[Conversation]:
    settings.setdefault("tool_approval", "auto")
    runtime = Runtime(
        Settings(
            server="local",
            local_voice="tone",
            transport="websocket",
            mic="none",
            speaker="none",
            local_responder=f"chat:{chat.url}",
            **settings,
        )
    )
    conv = Conversation(runtime)
    await runtime.start()
    try:
        yield conv
    finally:
        await runtime.stop()


async def ask(conv: Conversation, text: str, responses: int) -> None:
    conv.runtime.send_text(text)
    await conv.until(
        lambda: (
            conv.runtime.completed_responses >= responses and not conv.runtime.view.response_active
        )
    )


def outputs(conv: Conversation) -> list[dict[str, Any]]:
    return [
        e["item"]
        for e in conv.find("conversation.item.create", "out")
        if e["item"]["type"] == "function_call_output"
    ]


def said(conv: Conversation) -> list[str]:
    return [e.text for e in conv.runtime.view.entries if e.role == "assistant"]


def calling(name: str, arguments: str = "{}") -> tuple[Any, Any]:
    return calls_reply([(name, arguments)]), answer_with_tool_result


async def test_a_server_that_does_not_start_is_a_notice_and_the_talk_goes_on(
    tmp_path: Path,
) -> None:
    async with (
        fake_chat(text_reply("No tools today.")) as chat,
        talking(chat, mcp_servers={"weather": server_entry("broken-start")}) as conv,
    ):
        notice = next(n for n in conv.notices() if "'weather'" in n)
        assert "is not available" in notice and "Fix its entry" in notice
        sources = conv.find("local.tool.sources")[0]
        assert sources["servers"][0]["state"] == "failed" and sources["tools"] == []
        await ask(conv, "hello", 1)
        assert said(conv) == ["No tools today."]
    log = tmp_path / "state" / "voicechat" / "log" / "mcp-weather.log"
    assert "this server is broken on purpose" in log.read_text()


async def test_a_server_that_hangs_at_start_is_given_up(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voicechat.runtime.tools import mcp_client

    monkeypatch.setattr(mcp_client, "START_TIMEOUT_S", 1.0)
    async with (
        fake_chat(text_reply("Still here.")) as chat,
        talking(chat, mcp_servers={"slow": server_entry("hang-start")}) as conv,
    ):
        notice = next(n for n in conv.notices() if "'slow'" in n)
        assert "did not finish starting within 1 s" in notice
        assert conv.find("local.tool.sources")[0]["servers"][0]["state"] == "failed"
        await ask(conv, "hello", 1)
        assert said(conv) == ["Still here."]


async def test_a_server_that_crashes_mid_call(tmp_path: Path) -> None:
    async with (
        fake_chat(*calling("crash")) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}) as conv,
    ):
        await ask(conv, "crash it", 2)
        [output] = outputs(conv)
        assert "failed" in output["output"] and "Connection closed" in output["output"]
        assert any("stopped" in n and "restart voicechat" in n for n in conv.notices())
        assert said(conv)[-1].startswith("Here is what I found: error:")
        assert conv.kinds("out").count("response.create") == 2


async def test_a_server_that_hangs_times_out(tmp_path: Path) -> None:
    async with (
        fake_chat(*calling("hang")) as chat,
        talking(chat, mcp_servers={"weather": {**server_entry(), "timeout": 1}}) as conv,
    ):
        await ask(conv, "wait for it", 2)
        [output] = outputs(conv)
        assert "did not finish within 1 s" in output["output"]
        assert any("Raise its timeout" in n for n in conv.notices())
        finished = conv.find("local.tool.finished")
        assert finished[0]["outcome"] == "timeout"


async def test_huge_and_non_text_results(tmp_path: Path) -> None:
    replies = [calls_reply([("huge", "{}")]), text_reply("That was a lot."), *calling("picture")]
    async with (
        fake_chat(*replies) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}) as conv,
    ):
        await ask(conv, "big one", 2)
        await ask(conv, "a picture", 4)
        huge, picture = outputs(conv)
        assert len(huge["output"]) < 17_000 and "output truncated" in huge["output"]
        assert any("the model gets the first" in n for n in conv.notices())
        assert "[image (image/png" in picture["output"] and "a red square" in picture["output"]
        assert conv.find("local.tool.finished")[0]["truncated"] is True


async def test_a_schema_the_api_would_refuse_is_fixed_and_said(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array"}, "opts": {"type": "object"}},
        "required": ["tags", "missing"],
        "$schema": "x",
    }
    tools = {"tag": {"command": ["cat"], "description": "echo", "parameters": schema}}
    async with (
        fake_chat(*calling("tag", '{"tags": ["a"]}')) as chat,
        talking(chat, tools=tools) as conv,
    ):
        notes = [n for n in conv.notices() if n.startswith("tool tag")]
        assert any("array without items" in n for n in notes)
        assert any("object without properties" in n for n in notes)
        assert any("required names no property: missing" in n for n in notes)
        update = conv.find("session.update", "out")[0]
        [tag] = [t for t in update["session"]["tools"] if t["name"] == "tag"]
        assert tag["parameters"]["properties"]["tags"] == {"type": "array", "items": {}}
        assert not [n for n in conv.notices() if "not sent" in n]  # the validator took it
        await ask(conv, "tag it", 2)
        assert outputs(conv)[0]["output"] == '{"tags": ["a"]}'  # stdin came back on stdout


async def test_two_tools_with_the_same_name_are_told_apart(tmp_path: Path) -> None:
    tools = {"get_weather": {"command": ["echo", "from the command"]}}
    async with (
        fake_chat(*calling("cmd_get_weather")) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}, tools=tools) as conv,
    ):
        notice = next(n for n in conv.notices() if "renamed from 'get_weather'" in n)
        assert "also used by mcp:weather" in notice
        names = [t["name"] for t in conv.find("local.tool.sources")[0]["tools"]]
        assert "get_weather" in names and "cmd_get_weather" in names
        await ask(conv, "which one", 2)
        assert outputs(conv)[0]["output"] == "from the command\n"


async def test_a_command_that_is_not_found(tmp_path: Path) -> None:
    tools = {"lookup": {"command": ["no-such-program-for-voicechat"], "description": "x"}}
    async with fake_chat(*calling("lookup")) as chat, talking(chat, tools=tools) as conv:
        assert any("'no-such-program-for-voicechat' was not found" in n for n in conv.notices())
        await ask(conv, "look it up", 2)
        assert "was not found" in outputs(conv)[0]["output"]
        assert conv.find("local.tool.finished")[0]["outcome"] == "error"


async def test_the_users_turn_while_a_tool_runs_gets_the_output_but_no_reply(
    tmp_path: Path,
) -> None:
    gate = tmp_path / "go"
    wait = ["sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.02; done; echo finished"]
    async with (
        fake_chat(
            calls_reply([("slow", "{}")]), text_reply("Sure, never mind."), text_reply("unexpected")
        ) as chat,
        talking(chat, tools={"slow": {"command": wait}}) as conv,
    ):
        rt = conv.runtime
        rt.send_text("start the slow thing")
        await conv.until(lambda: bool(rt.view.running_tools))
        await ask(conv, "actually, never mind", 2)  # the user's turn while the tool runs
        gate.touch()
        await conv.until(lambda: bool(outputs(conv)))
        await conv.until(lambda: bool(conv.find("local.tool.finished")))
        assert outputs(conv)[0]["output"] == "finished\n"
        # only the two typed messages asked for responses: none followed the tool's output
        assert conv.kinds("out").count("response.create") == 2
        assert rt.view.tool_calls[0].status == "done"


async def test_ask_without_a_prompt_denies_and_names_the_flag(tmp_path: Path) -> None:
    async with (
        fake_chat(*calling("get_weather", '{"city": "Oslo"}')) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}, tool_approval="ask") as conv,
    ):
        await ask(conv, "weather?", 2)
        assert any("--tool-approval auto" in n for n in conv.notices())
        assert outputs(conv)[0]["output"].startswith("denied:")
        assert conv.find("local.tool.denied")[0]["by"] == "user"


async def test_the_prompt_answers_once_and_always(tmp_path: Path) -> None:
    asked: list[Any] = []
    replies = [*calling("add", '{"a": 2, "b": 3}'), *calling("add", '{"a": 1, "b": 1}')]
    async with (
        fake_chat(*replies) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}, tool_approval="ask") as conv,
    ):
        rt = conv.runtime

        def prompt(action: Any) -> None:
            asked.append(action)
            rt.answer_tool(action.call_id, "always")

        rt.set_tool_prompt(prompt)
        await ask(conv, "add", 2)
        await ask(conv, "again", 4)
        assert [a.name for a in asked] == ["add"]  # always: not asked the second time
        assert [o["output"] for o in outputs(conv)] == ["5", "2"]
        assert json.loads(asked[0].arguments) == {"a": 2, "b": 3}


async def test_tools_listed_again_on_list_changed(tmp_path: Path) -> None:
    async with (
        fake_chat(*calling("add_tool")) as chat,
        talking(chat, mcp_servers={"weather": server_entry()}) as conv,
    ):
        before = [t["name"] for t in conv.find("local.tool.sources")[0]["tools"]]
        assert "brand_new" not in before
        await ask(conv, "add a tool", 2)
        await conv.until(lambda: len(conv.find("local.tool.sources")) >= 2)
        after = [t["name"] for t in conv.find("local.tool.sources")[-1]["tools"]]
        assert "brand_new" in after
        updates = conv.find("session.update", "out")
        assert "brand_new" in [t["name"] for t in updates[-1]["session"]["tools"]]
        assert [t.name for t in conv.runtime.view.tools].count("brand_new") == 1


async def test_a_streamable_http_server(tmp_path: Path, unused_tcp_port: int) -> None:
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(MCP_SERVER),
        f"http:{unused_tcp_port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{unused_tcp_port}/mcp"
    try:
        await _until_listening(unused_tcp_port)
        async with (
            fake_chat(*calling("add", '{"a": 40, "b": 2}')) as chat,
            talking(chat, mcp_servers={"remote": {"url": url, "headers": {"X-Test": "1"}}}) as conv,
        ):
            await ask(conv, "add", 2)
            assert outputs(conv)[0]["output"] == "42"
            assert conv.find("local.tool.sources")[0]["servers"][0]["state"] == "ready"
    finally:
        proc.terminate()
        await proc.wait()


async def _until_listening(port: int) -> None:
    import socket

    from tests.helpers import until

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    await until(listening, f"the MCP HTTP server on port {port}", timeout=30)
