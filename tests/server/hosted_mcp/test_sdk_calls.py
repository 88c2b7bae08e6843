"""Hosted MCP through foreign clients: the official ``openai`` SDK's GA WebSocket client driving
the approval flow as the official examples do, and the ``chat:`` responder (a fake
OpenAI-compatible endpoint: a model cannot run here) deciding to call an MCP tool."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openai import AsyncOpenAI

from tests.helpers import local_server
from tests.server.hosted_mcp.conftest import McpProcess
from voicechat.server.app import LocalServer
from voicechat.server.hosted_mcp.limits import McpLimits

LIMITS = McpLimits(list_timeout_s=20, call_timeout_s=20, approval_timeout_s=30)
USER = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "add 2 and 3"}],
}


@asynccontextmanager
async def scripted(tmp_path: Path, *lines: str) -> AsyncIterator[LocalServer]:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    async with local_server(responder=f"script:{script}", mcp_limits=LIMITS) as srv:
        yield srv


def sdk(srv: LocalServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="sk-test", base_url=f"{srv.base_url}/v1", websocket_base_url=srv.ws_url
    )


async def run_mcp_workflow(conn: Any, url: str, approve: bool | None) -> list[Any]:
    """openai-ruby's Realtime MCP approval example, in Python: configure, wait for the listing,
    ask; answer the approval request (when there is one) and send nothing else; after the
    call's item is done and its response is done, ask for the final answer."""
    tool: dict[str, Any] = {"type": "mcp", "server_label": "example_mcp", "server_url": url}
    if approve is None:
        tool["require_approval"] = "never"
    await conn.session.update(
        session={"type": "realtime", "output_modalities": ["text"], "tools": [tool]}
    )
    events: list[Any] = []
    asked = final_asked = False
    call_item_done = False
    async for event in conn:
        events.append(event)
        if event.type == "mcp_list_tools.failed" or event.type == "error":
            raise AssertionError(f"unexpected {event}")
        if (
            event.type == "conversation.item.done"
            and event.item.type == "mcp_list_tools"
            and not asked
        ):
            asked = True
            await conn.conversation.item.create(item=USER)
            await conn.response.create(
                response={
                    "tool_choice": {"type": "mcp", "server_label": "example_mcp", "name": "add"}
                }
            )
        elif event.type == "conversation.item.done" and event.item.type == "mcp_approval_request":
            assert approve is not None
            await conn.conversation.item.create(
                item={
                    "type": "mcp_approval_response",
                    "id": "approval_response_1",
                    "approval_request_id": event.item.id,
                    "approve": approve,
                    "reason": "Approved by the example application policy.",
                }
            )
        elif event.type == "conversation.item.done" and event.item.type == "mcp_call":
            call_item_done = True
        elif event.type == "response.done" and not final_asked:
            if approve is False:
                return events
            assert call_item_done, "response.done came before the MCP call finished"
            final_asked = True
            await conn.response.create(response={"tool_choice": "none"})
        elif event.type == "response.done":
            return events
    raise AssertionError("the connection closed")


@pytest.mark.parametrize(
    "approve", [None, True, False], ids=["no-approval", "approved", "rejected"]
)
async def test_the_official_sdk_runs_the_mcp_workflow(
    approve: bool | None, tmp_path: Path, mcp_server: McpProcess
) -> None:
    lines = ('@call add {"a": 2, "b": 3}', "Two and three make five.")
    async with (
        scripted(tmp_path, *lines) as srv,
        sdk(srv).realtime.connect(model="gpt-realtime") as conn,
    ):
        events = await asyncio.wait_for(run_mcp_workflow(conn, mcp_server.url, approve), 30)
    done = [e for e in events if e.type == "response.done"]
    first = done[0].response
    kinds = [item.type for item in first.output]
    if approve is False:
        assert kinds == ["mcp_approval_request"] and len(done) == 1
        assert not any(e.type.startswith("response.mcp_call") for e in events)
        return
    assert kinds == (["mcp_call"] if approve is None else ["mcp_approval_request", "mcp_call"])
    call = first.output[-1]
    assert (call.server_label, call.name, call.output, call.error) == (
        "example_mcp",
        "add",
        "5",
        None,
    )
    if approve:
        assert call.approval_request_id == first.output[0].id
    arguments_done = next(e for e in events if e.type == "response.mcp_call_arguments.done")
    assert arguments_done.response_id == first.id and arguments_done.item_id == call.id
    final = done[1].response
    assert final.output[0].content[0].text == "Two and three make five."


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def chat_stream(delta: dict[str, Any], finish: str) -> bytes:
    events = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", **delta}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
    ]
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


async def test_a_chat_model_calls_an_mcp_tool_and_hears_the_result(
    mcp_server: McpProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        requests.append(body)
        if len(requests) == 1:
            call = {
                "index": 0,
                "id": "call_x",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a":2,"b":3}'},
            }
            payload = chat_stream({"tool_calls": [call]}, "tool_calls")
        else:
            payload = chat_stream({"content": "It is 5."}, "stop")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(payload)
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("VOICECHAT_CHAT_MODEL", "tiny-local-model")
    try:
        async with (
            local_server(responder=f"chat:http://127.0.0.1:{port}/v1", mcp_limits=LIMITS) as srv,
            sdk(srv).realtime.connect(model="gpt-realtime") as conn,
        ):
            events = await asyncio.wait_for(run_mcp_workflow(conn, mcp_server.url, None), 30)
    finally:
        await runner.cleanup()
    offered = {tool["function"]["name"]: tool["function"] for tool in requests[0]["tools"]}
    assert offered["add"]["parameters"]["required"] == ["a", "b"]
    assert offered["add"]["description"] == "Add two integers."
    call = next(e for e in events if e.type == "response.done").response.output[-1]
    assert (call.type, call.output) == ("mcp_call", "5")
    second = requests[1]["messages"]
    assistant = next(m for m in second if m.get("tool_calls"))
    assert assistant["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a":2,"b":3}'}
    answer = second[second.index(assistant) + 1]
    assert answer == {"role": "tool", "tool_call_id": call.id, "content": "5"}
    final = [e for e in events if e.type == "response.done"][1].response
    assert final.output[0].content[0].text == "It is 5."
