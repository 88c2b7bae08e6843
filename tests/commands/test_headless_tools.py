"""``voicechat --no-ui`` runs tools end to end: a real stdio MCP server (tests/runtime/tools/
mcp_server.py, the official SDK) answers the model's call, over WebRTC and over WebSocket.

The model is a fake OpenAI-compatible chat endpoint (tests/server/fake_chat.py; a model cannot
run here) behind our real local server (``chat:URL`` responder): it calls ``get_weather`` on the
first turn and, on the second, answers with the tool's result it was given. Everything else is
real: the client as installed, the server on 127.0.0.1, the MCP server process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import VOICECHAT, at_terminal, kinds, run_no_ui
from tests.helpers import local_server
from tests.server.fake_chat import FakeChat, calls_reply, fake_chat, text_reply

MCP_SERVER = Path(__file__).resolve().parents[1] / "runtime" / "tools" / "mcp_server.py"


def answer_with_tool_result(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The second turn: say what the tool returned (the fake model reads the tool message)."""
    results = [m["content"] for m in body["messages"] if m.get("role") == "tool"]
    return text_reply(f"Here is what I found: {results[-1] if results else 'nothing'}")


def mcp_json(tmp_path: Path, mode: str = "", name: str = "weather") -> Path:
    path = tmp_path / "servers.json"
    args = [str(MCP_SERVER), *([mode] if mode else [])]
    path.write_text(
        json.dumps({"mcpServers": {name: {"command": sys.executable, "args": args}}}),
        encoding="utf-8",
    )
    return path


async def run_client(
    tmp_path: Path, chat: FakeChat, transport: str, text: str, *extra: str
) -> tuple[int, str, str, list[dict[str, Any]]]:
    """The installed client against our local server with ``chat:URL``; piped ``text``."""
    async with local_server(responder=f"chat:{chat.url}") as srv:
        return await run_no_ui(tmp_path, srv.base_url, transport, text, *extra)


@pytest.mark.parametrize(
    ("transport", "dialect"), [("webrtc", "ga"), ("websocket", "ga"), ("websocket", "beta")]
)
async def test_a_typed_question_is_answered_through_a_real_mcp_server(
    tmp_path: Path,
    transport: str,
    dialect: str,
) -> None:
    async with fake_chat(
        calls_reply([("get_weather", '{"city": "Paris"}')]), answer_with_tool_result
    ) as chat:
        code, out, err, records = await run_client(
            tmp_path,
            chat,
            transport,
            "what is the weather in Paris?\n",
            "--mcp-config",
            str(mcp_json(tmp_path)),
            "--tool-approval",
            "auto",
            "--dialect",
            dialect,
        )
    assert code == 0, err[-3000:]
    # the model was offered the MCP server's tool, with a schema the API accepts
    update = next(r["event"] for r in records if r["event"].get("type") == "session.update")
    weather = next(t for t in update["session"]["tools"] if t["name"] == "get_weather")
    assert weather["parameters"] == {
        "type": "object",
        "required": ["city"],
        "properties": {"city": {"type": "string"}},
    }
    # the call, its output with the same call_id, then exactly one response.create once both
    # the calling response's response.done and the output are in (the output itself may go
    # before response.done: it is sent when the tool finishes, and under load a fast tool
    # finished first, core/tool_calls.py's rule F1/F2)
    seq = kinds(records)
    call = next(
        item
        for r in records
        if r["event"].get("type") == "response.output_item.done"
        for item in [r["event"]["item"]]
        if item["type"] == "function_call"
    )
    assert call["status"] == "completed"
    outputs = [
        (i, r["event"]["item"])
        for i, r in enumerate(records)
        if r["dir"] == "out"
        and r["event"].get("type") == "conversation.item.create"
        and r["event"]["item"]["type"] == "function_call_output"
    ]
    assert [o["call_id"] for _, o in outputs] == [call["call_id"]]
    assert outputs[0][1]["output"] == "Sunny and 21 degrees in Paris"
    first_done = seq.index(("in", "response.done"))
    creates = [i for i, k in enumerate(seq) if k == ("out", "response.create")]
    assert len(creates) == 2  # the typed question's, then the one after the tool
    assert outputs[0][0] < creates[1] and first_done < creates[1]
    finished = [r["event"] for r in records if r["event"].get("type") == "local.tool.finished"]
    assert [(f["call_id"], f["outcome"], f["name"]) for f in finished] == [
        (call["call_id"], "ok", "get_weather")
    ]
    # the second turn's model saw the result and said it
    assert chat.requests[1]["messages"][-1]["content"] == "Sunny and 21 degrees in Paris"
    assert "Here is what I found: Sunny and 21 degrees in Paris" in out
    # the --no-ui lines: what the model was offered, and the call's outcome
    assert any("local.tool.sources" in line and "get_weather" in line for line in out.splitlines())
    assert any(
        f"local.tool.finished get_weather {call['call_id']} (mcp:weather) ok in " in line
        for line in out.splitlines()
    )


async def test_ask_with_no_terminal_denies_and_names_the_flag(tmp_path: Path) -> None:
    async with fake_chat(
        calls_reply([("get_weather", '{"city": "Rome"}')]), answer_with_tool_result
    ) as chat:
        code, out, err, records = await run_client(
            tmp_path,
            chat,
            "websocket",
            "weather in Rome?\n",
            "--mcp-config",
            str(mcp_json(tmp_path)),
        )  # tool_approval: the default, ask
    assert code == 0, err[-3000:]
    assert "--tool-approval auto" in out
    [output] = [
        r["event"]["item"]
        for r in records
        if r["event"].get("type") == "conversation.item.create"
        and r["event"]["item"]["type"] == "function_call_output"
    ]
    assert output["output"].startswith("denied:")
    assert "Here is what I found: denied:" in out


def test_the_terminal_prompt_reads_the_next_line_as_the_answer() -> None:
    from voicechat.core import AskApproval
    from voicechat.lines.approval import TerminalApproval

    class Handle:
        def __init__(self) -> None:
            self.answers: list[tuple[str, str]] = []

        def answer_tool(self, call_id: str, decision: str) -> None:
            self.answers.append((call_id, decision))

    handle, lines = Handle(), []
    prompt = TerminalApproval(handle, lines.append)
    assert not prompt.take_line("just a message")  # nothing asked: the line is a message
    prompt.ask(AskApproval("call_1", "rm", '{"path": "/tmp/x\x1b[2J"}', "command"))
    prompt.ask(AskApproval("call_2", "search", "{}", "mcp:docs", "mcp"))
    assert len(lines) == 1 and "rm (command)" in lines[0] and "\x1b" not in lines[0]
    assert prompt.take_line("maybe")  # not an answer: asked again, nothing decided
    assert handle.answers == [] and "answer y" in lines[-1]
    assert prompt.take_line("a")
    assert "hosted MCP tool search (mcp:docs)" in lines[-1]
    assert prompt.take_line("n")
    assert handle.answers == [("call_1", "always"), ("call_2", "deny")]
    assert not prompt.take_line("hello again")


def test_a_bad_mcp_config_file_stops_before_starting(tmp_path: Path) -> None:
    import subprocess

    bad = tmp_path / "servers.json"
    bad.write_text("{not json", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--mcp-config", str(bad), "--mic", "none", "--speaker", "none"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 2
    assert f"--mcp-config: {bad} is not JSON" in proc.stderr and "mcpServers" in proc.stderr


async def test_at_a_terminal_no_ui_asks_and_the_next_line_answers(tmp_path: Path) -> None:
    """stdin is a real pseudo-terminal: the question is typed, the approval asked on a line,
    ``y`` typed, and the answer comes through the tool."""
    async with (
        fake_chat(
            calls_reply([("get_weather", '{"city": "Oslo"}')]), answer_with_tool_result
        ) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        at_terminal(
            tmp_path, srv.base_url, "--turns", "2", "--mcp-config", str(mcp_json(tmp_path))
        ) as term,
    ):
        await term.line_with("local.tool.sources")
        term.type("what is the weather in Oslo?")
        asked = await term.line_with("?? the model wants to run tool get_weather")
        assert "(mcp:weather)" in asked and '{"city": "Oslo"}' in asked
        term.type("y")
        await term.line_with("Here is what I found: Sunny and 21 degrees in Oslo")
        assert await asyncio.wait_for(term.proc.wait(), 60) == 0
    assert any(
        "local.tool.approved get_weather" in line and "by user once" in line
        for line in term.seen
    )
