"""Listing on ``session.update``: the real local server, a real MCP server, real clients (a raw
WebSocket peer for exact sequences, the official SDK for what its models parse)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import AsyncOpenAI

from tests.helpers import local_server
from tests.server.conftest import mint_ga, ws_peer
from tests.server.hosted_mcp.conftest import McpProcess
from tests.server.sdk_models import problems
from voicechat.protocol.dialect import Dialect
from voicechat.server.app import LocalServer
from voicechat.server.hosted_mcp.limits import McpLimits

LIMITS = McpLimits(list_timeout_s=20, call_timeout_s=20)
#: for the server that never answers (the others answer or refuse at once)
SHORT = McpLimits(list_timeout_s=3)
LISTING = ("mcp_list_tools.completed", "mcp_list_tools.failed")


@pytest.fixture
async def srv() -> AsyncIterator[LocalServer]:
    async with local_server(mcp_limits=LIMITS) as server:
        yield server


def mcp_tool(url: str, label: str = "tools", **extra: Any) -> dict[str, Any]:
    return {"type": "mcp", "server_label": label, "server_url": url, **extra}


def update(*tools: dict[str, Any]) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "realtime", "tools": list(tools)}}


def assert_sdk_valid(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert problems(event, Dialect.GA) == [], event


async def test_listing_sequence_and_allowed_tools(srv: LocalServer, mcp_server: McpProcess) -> None:
    async with ws_peer(srv) as peer:
        await peer.send(update(mcp_tool(mcp_server.url, allowed_tools=["add", "echo"])))
        done = await peer.log.wait_for("mcp_list_tools.completed")
        item_done = await peer.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["type"] == "mcp_list_tools"
        )
        types = peer.log.types()
        start = types.index("session.updated")
        assert types[start:] == [
            "session.updated",
            "conversation.item.added",
            "mcp_list_tools.in_progress",
            "mcp_list_tools.completed",
            "conversation.item.done",
        ]
        added = peer.log.of("conversation.item.added")[0]["item"]
        assert added == {
            "id": done["item_id"],
            "type": "mcp_list_tools",
            "server_label": "tools",
            "tools": [],
        }
        tools = item_done["item"]["tools"]
        assert [t["name"] for t in tools] == ["add", "echo"]
        assert tools[0]["annotations"] == {"read_only": True}
        assert tools[0]["input_schema"]["required"] == ["a", "b"]
        # AGJ retrieves the item on in_progress: it is in the conversation
        await peer.send({"type": "conversation.item.retrieve", "item_id": done["item_id"]})
        retrieved = await peer.log.wait_for("conversation.item.retrieved")
        assert retrieved["item"]["tools"] == tools
        assert_sdk_valid(peer.log.events)


async def test_an_unchanged_tool_is_not_listed_again(
    srv: LocalServer, mcp_server: McpProcess
) -> None:
    async with ws_peer(srv) as peer:
        await peer.send(update(mcp_tool(mcp_server.url)))
        await peer.log.wait_for("mcp_list_tools.completed")
        await peer.send(update(mcp_tool(mcp_server.url)))  # the whole config again, as AGJ does
        await peer.send(
            {"type": "session.update", "session": {"type": "realtime", "instructions": "x"}}
        )
        await peer.log.wait_for(
            "session.updated", where=lambda e: e["session"]["instructions"] == "x"
        )
        assert peer.log.types().count("mcp_list_tools.in_progress") == 1
        mark = len(peer.log.events)
        await peer.send(update(mcp_tool(mcp_server.url, allowed_tools=["add"])))  # changed
        await peer.log.wait_for("mcp_list_tools.completed", after=mark)
        assert peer.log.types().count("mcp_list_tools.in_progress") == 2


@pytest.mark.parametrize("case", ["refused", "hanging", "unauthorized"])
async def test_a_failed_listing_is_reported_and_the_session_goes_on(
    case: str,
    refused_url: str,
    hanging_url: str,
    token_mcp_server: McpProcess,
) -> None:
    url = {"refused": refused_url, "hanging": hanging_url, "unauthorized": token_mcp_server.url}[
        case
    ]
    async with local_server(mcp_limits=SHORT) as srv, ws_peer(srv) as peer:
        function = {
            "type": "function",
            "name": "f",
            "parameters": {"type": "object", "properties": {}},
        }
        await peer.send(update(function, mcp_tool(url, "broken")))
        failed = await peer.log.wait_for("mcp_list_tools.failed")
        error = await peer.log.wait_for("error")
        assert error["error"]["code"] == "mcp_list_tools_failed"
        assert error["error"]["param"] == "session.tools[1]"
        message = error["error"]["message"]
        assert message.startswith(f"MCP server 'broken' ({url})")
        assert "session.update" in message
        hint = {"refused": "cannot connect", "hanging": "within 3 s", "unauthorized": "HTTP 401"}[
            case
        ]
        assert hint in message
        item = await peer.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["id"] == failed["item_id"]
        )
        assert item["item"]["tools"] == []
        # the session is still up: a text turn works
        await peer.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hi"}],
                },
            }
        )
        await peer.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        done = await peer.log.wait_for("response.done")
        assert done["response"]["status"] == "completed"
        assert_sdk_valid(peer.log.events)


async def test_credentials_never_come_back(srv: LocalServer, token_mcp_server: McpProcess) -> None:
    tool = mcp_tool(
        token_mcp_server.url,
        authorization="s3cret-token-value",
        headers={"X-Api-Key": "k3y-header-value"},
    )
    async with ws_peer(srv) as peer:
        await peer.send(update(tool))
        await peer.log.wait_for("mcp_list_tools.completed")  # the credentials did reach it
        shown = peer.log.of("session.updated")[-1]["session"]["tools"][0]
        assert shown["headers"] == {"X-Api-Key": "[redacted]"} and "authorization" not in shown
        wrong = dict(tool, authorization="wr0ng-token-value")
        await peer.send(update(wrong))
        await peer.log.wait_for("error")
        text = str(peer.log.events)
        for secret in ("s3cret-token-value", "k3y-header-value", "wr0ng-token-value"):
            assert secret not in text


async def test_a_minted_session_lists_at_start_and_hides_the_token(
    srv: LocalServer, mcp_server: McpProcess
) -> None:
    session = {"type": "realtime", "tools": [mcp_tool(mcp_server.url, authorization="tok-abcdef")]}
    token = await mint_ga(srv, session)
    async with ws_peer(srv, headers={"Authorization": f"Bearer {token}"}) as peer:
        await peer.log.wait_for("mcp_list_tools.completed")
        created = peer.log.of("session.created")[0]["session"]["tools"][0]
        assert "authorization" not in created


async def test_a_duplicate_label_refuses_the_update_whole(
    srv: LocalServer, mcp_server: McpProcess
) -> None:
    async with ws_peer(srv) as peer:
        await peer.send(update(mcp_tool(mcp_server.url), mcp_tool(mcp_server.url)))
        error = await peer.log.wait_for("error")
        assert error["error"]["param"] == "session.tools[1].server_label"
        assert "session.updated" not in peer.log.types()[1:]


async def test_beta_refuses_mcp_tools_like_the_real_beta(
    srv: LocalServer, mcp_server: McpProcess
) -> None:
    headers = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "realtime=v1"}
    async with ws_peer(srv, "/v1/realtime?model=gpt-4o-realtime-preview", headers) as peer:
        await peer.send(
            {"type": "session.update", "session": {"tools": [mcp_tool(mcp_server.url)]}}
        )
        error = await peer.log.wait_for("error")
        assert error["error"]["param"] == "session.tools[0].type"
        assert (
            error["error"]["message"] == "Invalid value: 'mcp'. Supported values are: 'function'."
        )
        assert not any(t.startswith("mcp_") for t in peer.log.types())


async def test_the_official_sdk_parses_the_listing(
    srv: LocalServer, mcp_server: McpProcess
) -> None:
    client = AsyncOpenAI(
        api_key="sk-test", base_url=f"{srv.base_url}/v1", websocket_base_url=srv.ws_url
    )
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(
            session={
                "type": "realtime",
                "tools": [mcp_tool(mcp_server.url, require_approval="never")],
            }  # type: ignore[list-item]
        )

        async def listed() -> Any:
            async for event in conn:
                if event.type == "conversation.item.done" and event.item.type == "mcp_list_tools":
                    return event.item

        item = await asyncio.wait_for(listed(), 20)
    assert item.server_label == "tools"
    assert "add" in [tool.name for tool in item.tools]
