"""``voicechat --no-ui`` with a hosted MCP tool, end to end: the client as installed, ``voicechat
serve --responder script:FILE`` as its own process, and a real MCP server (the ``mcp`` SDK over
streamable HTTP, tests/server/hosted_mcp/mcp_servers.py) that the server calls.

The session config (``[voicechat.session] tools``) holds a GA ``{"type": "mcp", …}`` tool with
``require_approval = "always"``; the script's first line calls the MCP tool, so the server asks
for approval; the client's ``--tool-approval`` policy answers with an ``mcp_approval_response``;
after the ``mcp_call`` the model waits to be asked, so the client sends exactly one
``response.create`` (F8 in realtime-tools.md §8) and the script's second line is the answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import at_terminal, kinds, run_no_ui
from tests.runtime.server_process import ServerProcess
from tests.server.hosted_mcp.conftest import McpProcess, bumps, start_mcp_server, stop

ANSWER = "The tool has run, thank you."


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[McpProcess]:
    server = start_mcp_server()
    yield server
    stop(server)


@asynccontextmanager
async def serve_script(tmp_path: Path, *lines: str) -> AsyncIterator[ServerProcess]:
    """``voicechat serve --voice tone --responder script:FILE`` on a free loopback port."""
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    server = ServerProcess(
        tmp_path / "serve.log", "--voice", "tone", "--responder", f"script:{script}"
    )
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


def session_config(tmp_path: Path, url: str, require_approval: str = "always") -> None:
    """The client's config: one hosted MCP tool (that always needs approval by default)."""
    tool = {
        "type": "mcp",
        "server_label": "tests",
        "server_url": url,
        "require_approval": require_approval,
    }
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in tool.items())
    (tmp_path / "cfg.toml").write_text(
        f"[voicechat.session]\ntools = [{{{inline}}}]\n", encoding="utf-8"
    )


def items_of(records: list[dict[str, Any]], kind: str, event: str) -> list[tuple[int, Any]]:
    """``(index, item)`` of each ``event`` record whose item is of type ``kind``."""
    return [
        (i, r["event"]["item"])
        for i, r in enumerate(records)
        if r["event"].get("type") == event and r["event"].get("item", {}).get("type") == kind
    ]


async def conversation(
    tmp_path: Path,
    mcp: McpProcess,
    transport: str,
    approval: str,
    *lines: str,
    require_approval: str = "always",
) -> tuple[int, str, str, list[dict[str, Any]]]:
    session_config(tmp_path, mcp.url, require_approval)
    async with serve_script(tmp_path, *lines) as server:
        extra = ("--tool-approval", approval) if approval else ()
        return await run_no_ui(
            tmp_path, server.base_url, transport, "please bump the counter\n", *extra
        )


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
async def test_auto_approves_the_mcp_call_and_asks_for_the_answer_once(
    tmp_path: Path, mcp_server: McpProcess, transport: str
) -> None:
    before = await bumps(mcp_server.url)
    code, out, err, records = await conversation(
        tmp_path, mcp_server, transport, "auto", "Let me do that. @call bump", ANSWER
    )
    assert code == 0, err[-3000:] + out[-3000:]
    # the hosted tool went to the server as configured
    update = next(r["event"] for r in records if r["event"].get("type") == "session.update")
    assert update["session"]["tools"][0]["type"] == "mcp"
    assert update["session"]["tools"][0]["require_approval"] == "always"
    # the server asked; the client approved that request by policy
    [(_, request)] = items_of(records, "mcp_approval_request", "response.output_item.done")
    assert (request["server_label"], request["name"]) == ("tests", "bump")
    [(answered_at, answer)] = items_of(records, "mcp_approval_response", "conversation.item.create")
    assert answer["approval_request_id"] == request["id"] and answer["approve"] is True
    # the call ran on the real MCP server, with its output in the mcp_call item
    [(call_done_at, call)] = items_of(records, "mcp_call", "response.output_item.done")
    assert call["approval_request_id"] == request["id"]
    assert call["error"] is None and call["output"] == str(before + 1)
    assert await bumps(mcp_server.url) == before + 1
    # exactly one response.create after the calling response's response.done, then the answer
    seq = kinds(records)
    calling_done = seq.index(("in", "response.done"), call_done_at)
    assert answered_at < call_done_at < calling_done
    creates = [i for i, k in enumerate(seq) if k == ("out", "response.create")]
    assert len(creates) == 2, creates  # the typed message's, then the one after the mcp_call
    assert creates[0] < answered_at and creates[1] > calling_done
    done = [r["event"]["response"] for r in records if r["event"].get("type") == "response.done"]
    assert [d["status"] for d in done] == ["completed", "completed"]
    assert [i["type"] for i in done[0]["output"]] == [
        "message",
        "mcp_approval_request",
        "mcp_call",
    ]
    assert ANSWER in out
    approved = [r["event"] for r in records if r["event"].get("type") == "local.tool.approved"]
    assert [(a["call_id"], a["by"], a["source"]) for a in approved] == [
        (request["id"], "policy", "mcp:tests")
    ]


async def test_deny_rejects_the_call_and_the_tool_never_runs(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    before = await bumps(mcp_server.url)
    code, out, err, records = await conversation(
        tmp_path, mcp_server, "websocket", "deny", "@call bump", ANSWER
    )
    assert code == 0, err[-3000:] + out[-3000:]
    [(_, request)] = items_of(records, "mcp_approval_request", "response.output_item.done")
    [(_, answer)] = items_of(records, "mcp_approval_response", "conversation.item.create")
    assert answer["approval_request_id"] == request["id"] and answer["approve"] is False
    assert not items_of(records, "mcp_call", "response.output_item.added")
    assert await bumps(mcp_server.url) == before  # the side effect did not happen
    # the conversation goes on: the model is asked once more (it may say it was not allowed)
    # after the calling response's response.done, and the script's answer comes
    seq = kinds(records)
    creates = [i for i, k in enumerate(seq) if k == ("out", "response.create")]
    assert len(creates) == 2 and creates[1] > seq.index(("in", "response.done")), creates
    assert ANSWER in out
    assert not any(r["event"].get("type") == "error" for r in records)
    denied = [r["event"] for r in records if r["event"].get("type") == "local.tool.denied"]
    assert [(d["call_id"], d["by"]) for d in denied] == [(request["id"], "policy")]


async def test_ask_with_no_terminal_denies_and_names_the_flag(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    before = await bumps(mcp_server.url)
    code, out, err, records = await conversation(
        tmp_path, mcp_server, "websocket", "", "@call bump", ANSWER
    )  # tool_approval: the default, ask; stdin is a pipe
    assert code == 0, err[-3000:] + out[-3000:]
    assert "--tool-approval auto" in out
    [(_, answer)] = items_of(records, "mcp_approval_response", "conversation.item.create")
    assert answer["approve"] is False
    assert await bumps(mcp_server.url) == before
    assert ANSWER in out


async def test_a_call_needing_no_approval_is_followed_by_one_response_create(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    """No approval item: the reply is owed for the ``mcp_call`` alone (F8), still once."""
    code, out, err, records = await conversation(
        tmp_path,
        mcp_server,
        "websocket",
        "deny",
        '@call add {"a": 2, "b": 3}',
        ANSWER,
        require_approval="never",
    )  # the client's deny policy has nothing to answer: the server asks nobody
    assert code == 0, err[-3000:] + out[-3000:]
    assert not items_of(records, "mcp_approval_request", "response.output_item.done")
    assert not items_of(records, "mcp_approval_response", "conversation.item.create")
    [(call_done_at, call)] = items_of(records, "mcp_call", "response.output_item.done")
    assert (call["name"], call["output"], call["error"]) == ("add", "5", None)
    seq = kinds(records)
    calling_done = seq.index(("in", "response.done"), call_done_at)
    creates = [i for i, k in enumerate(seq) if k == ("out", "response.create")]
    assert len(creates) == 2 and creates[1] > calling_done, creates
    assert ANSWER in out


async def test_at_a_terminal_the_user_approves_the_mcp_call(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    """``ask`` with a real pseudo-terminal: the approval is asked on a line naming the hosted
    tool and its server, ``y`` approves it, the tool runs and the answer follows."""
    before = await bumps(mcp_server.url)
    session_config(tmp_path, mcp_server.url)
    async with (
        serve_script(tmp_path, "@call bump", ANSWER) as server,
        at_terminal(tmp_path, server.base_url, "--turns", "2") as term,
    ):
        await term.line_with("session.updated")
        term.type("please bump the counter")
        asked = await term.line_with("?? the model wants to run hosted MCP tool bump")
        assert "(mcp:tests)" in asked
        assert await bumps(mcp_server.url) == before  # not before the user says so
        term.type("y")
        await term.line_with(f'mcp tests.bump {{}} → "{before + 1}"')
        await term.line_with(ANSWER)
        assert await asyncio.wait_for(term.proc.wait(), 60) == 0
    assert await bumps(mcp_server.url) == before + 1
    assert any("local.tool.approved bump" in line and "by user once" in line for line in term.seen)
