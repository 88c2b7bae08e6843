"""MCP calls end to end: the real local server with a ``script:`` responder whose lines call an
MCP tool, a real MCP server (the ``mcp`` SDK, child process), and a raw WebSocket peer that
records the exact event stream (the official SDK's turn is in test_sdk_calls.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.helpers import local_server
from tests.server.conftest import WsPeer, ws_peer
from tests.server.hosted_mcp.conftest import McpProcess, bumps, start_mcp_server, stop
from tests.server.sdk_models import problems
from voicechat.protocol.dialect import Dialect
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.outputs import truncation_note

#: generous, so a loaded machine never turns a good call into a timeout; the tests of timeouts
#: set their own
LIMITS = McpLimits(list_timeout_s=20, call_timeout_s=20, approval_timeout_s=30)
USER = {
    "type": "conversation.item.create",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
}
TEXT = {"type": "response.create", "response": {"output_modalities": ["text"]}}


@asynccontextmanager
async def session(
    tmp_path: Path, url: str, *lines: str, limits: McpLimits = LIMITS, **tool: Any
) -> AsyncIterator[WsPeer]:
    """A GA session with the MCP server at ``url`` listed, answering with ``lines``."""
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}", mcp_limits=limits) as srv,
        ws_peer(srv) as peer,
    ):
        mcp = {"type": "mcp", "server_label": "tools", "server_url": url, **tool}
        await peer.send({"type": "session.update", "session": {"type": "realtime", "tools": [mcp]}})
        await peer.log.wait_for("mcp_list_tools.completed")
        yield peer


async def turn(peer: WsPeer) -> dict[str, Any]:
    """A user message and a text response; returns its ``response.done``."""
    mark = len(peer.log.events)
    await peer.send(USER)
    await peer.send(TEXT)
    return await peer.log.wait_for("response.done", after=mark)


def since_created(peer: WsPeer, response_id: str) -> list[dict[str, Any]]:
    events = peer.log.events
    start = next(
        i
        for i, e in enumerate(events)
        if e["type"] == "response.created" and e["response"]["id"] == response_id
    )
    end = next(
        i
        for i, e in enumerate(events)
        if e["type"] == "response.done" and e["response"]["id"] == response_id
    )
    return events[start : end + 1]


def assert_sdk_valid(peer: WsPeer) -> None:
    for event in peer.log.events:
        assert problems(event, Dialect.GA) == [], event


async def test_a_call_without_approval(tmp_path: Path, mcp_server: McpProcess) -> None:
    lines = ['Let me add that. @call add {"a": 2, "b": 3}', "Two and three make five."]
    async with session(tmp_path, mcp_server.url, *lines, require_approval="never") as peer:
        done = await turn(peer)
        events = since_created(peer, done["response"]["id"])
        types = [e["type"] for e in events]
        call_start = types.index(
            "response.output_item.added", types.index("response.output_text.done")
        )
        deltas = types.count("response.mcp_call_arguments.delta")
        assert deltas >= 1
        assert types[call_start:] == [
            "response.output_item.added",
            "conversation.item.added",
            *["response.mcp_call_arguments.delta"] * deltas,
            "response.mcp_call_arguments.done",
            "response.mcp_call.in_progress",
            "response.mcp_call.completed",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
        ]
        added = events[call_start]["item"]
        assert added["type"] == "mcp_call" and added["arguments"] == "" and added["output"] is None
        call = done["response"]["output"][1]
        assert call == {
            "id": added["id"],
            "type": "mcp_call",
            "server_label": "tools",
            "name": "add",
            "arguments": '{"a":2,"b":3}',
            "approval_request_id": None,
            "output": "5",
            "error": None,
        }
        text = "".join(
            e["delta"] for e in events if e["type"] == "response.mcp_call_arguments.delta"
        )
        assert text == call["arguments"]
        assert [e["output_index"] for e in events if e["type"].startswith("response.mcp_call")] == [
            1
        ] * (deltas + 3)
        # F8: nothing more until the client asks; then the script's next line
        mark = len(peer.log.events)
        await peer.send(TEXT)
        after = await peer.log.wait_for("response.done", after=mark)
        assert after["response"]["output"][0]["content"][0]["text"] == "Two and three make five."
        assert peer.log.types()[mark - 1] == "response.done"  # nothing came in between
        assert_sdk_valid(peer)


async def test_a_call_waits_for_approval_in_its_response(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    before = await bumps(mcp_server.url)
    async with session(tmp_path, mcp_server.url, "@call bump", "Done.") as peer:
        mark = len(peer.log.events)
        await peer.send(USER)
        await peer.send(TEXT)
        request = await peer.log.wait_for(
            "conversation.item.done",
            where=lambda e: e["item"]["type"] == "mcp_approval_request",
            after=mark,
        )
        assert request["item"]["name"] == "bump" and request["item"]["arguments"] == "{}"
        assert "response.done" not in peer.log.types()[mark:]  # the response waits
        assert await bumps(mcp_server.url) == before  # not called yet
        # the Agents SDK's approval: no id, previous_item_id, nothing else after it
        await peer.send(
            {
                "type": "conversation.item.create",
                "previous_item_id": request["item"]["id"],
                "item": {
                    "type": "mcp_approval_response",
                    "approval_request_id": request["item"]["id"],
                    "approve": True,
                },
            }
        )
        done = await peer.log.wait_for("response.done", after=mark)
        output = done["response"]["output"]
        assert [item["type"] for item in output] == ["mcp_approval_request", "mcp_call"]
        assert output[1]["approval_request_id"] == request["item"]["id"]
        assert output[1]["output"] == str(before + 1)
        approval = peer.log.of("conversation.item.added")[-2]["item"]
        assert approval["type"] == "mcp_approval_response" and approval["id"].startswith("item_")
        assert "object" not in approval and "status" not in approval
        assert_sdk_valid(peer)


async def test_a_rejected_call_does_not_run(tmp_path: Path, mcp_server: McpProcess) -> None:
    before = await bumps(mcp_server.url)
    async with session(tmp_path, mcp_server.url, "@call bump", "Fine, I won't.") as peer:
        mark = len(peer.log.events)
        await peer.send(USER)
        await peer.send(TEXT)
        request = await peer.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["type"] == "mcp_approval_request"
        )
        answer = {
            "type": "mcp_approval_response",
            "approval_request_id": request["item"]["id"],
            "approve": False,
            "reason": "not today",
        }
        await peer.send({"type": "conversation.item.create", "item": answer})
        done = await peer.log.wait_for("response.done", after=mark)
        assert done["response"]["status"] == "completed"
        assert [item["type"] for item in done["response"]["output"]] == ["mcp_approval_request"]
        assert not any(t.startswith("response.mcp_call") for t in peer.log.types())
        assert await bumps(mcp_server.url) == before
        assert_sdk_valid(peer)


async def test_no_answer_in_time_ends_the_response_with_an_error(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    limits = McpLimits(list_timeout_s=20, approval_timeout_s=0.5)
    async with session(tmp_path, mcp_server.url, "@call bump", limits=limits) as peer:
        done = await turn(peer)
        assert [item["type"] for item in done["response"]["output"]] == ["mcp_approval_request"]
        error = await peer.log.wait_for("error")
        assert error["error"]["code"] == "mcp_approval_timeout"
        assert "'bump'" in error["error"]["message"] and "did not run" in error["error"]["message"]


async def test_cancelling_while_waiting_for_approval(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    async with session(tmp_path, mcp_server.url, "@call bump", "Next.") as peer:
        mark = len(peer.log.events)
        await peer.send(USER)
        await peer.send(TEXT)
        request = await peer.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["type"] == "mcp_approval_request"
        )
        await peer.send({"type": "response.cancel"})
        done = await peer.log.wait_for("response.done", after=mark)
        assert done["response"]["status"] == "cancelled"
        late = {
            "type": "mcp_approval_response",
            "approval_request_id": request["item"]["id"],
            "approve": True,
        }
        await peer.send({"type": "conversation.item.create", "item": late})
        await peer.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["type"] == "mcp_approval_response"
        )
        after = await turn(peer)  # the session goes on; the late approval ran nothing
        assert after["response"]["output"][0]["content"][0]["text"] == "Next."
        assert not any(t.startswith("response.mcp_call") for t in peer.log.types())


async def test_failures_end_the_call_not_the_session(
    tmp_path: Path, fresh_mcp_server: McpProcess
) -> None:
    lines = [
        '@call fail {"reason": "disk full"}',
        '@call big {"megabytes": 5}',
        "@call crash",
        "Still here.",
    ]
    limits = McpLimits(list_timeout_s=20, call_timeout_s=20, output_max_chars=1000)
    async with session(
        tmp_path, fresh_mcp_server.url, *lines, limits=limits, require_approval="never"
    ) as peer:
        failed = (await turn(peer))["response"]["output"][0]
        assert failed["error"] == {
            "type": "tool_execution_error",
            "message": "Error executing tool fail",
        }
        big = (await turn(peer))["response"]["output"][0]
        assert big["error"] is None
        assert big["output"] == "x" * 1000 + truncation_note(5 * 1024 * 1024, 1000)
        crashed = (await turn(peer))["response"]["output"][0]
        assert fresh_mcp_server.process.wait(10) == 3
        assert crashed["error"]["type"] == "protocol_error"
        assert "did it crash?" in crashed["error"]["message"]
        assert peer.log.types().count("response.mcp_call.failed") == 2
        assert peer.log.types().count("response.mcp_call.completed") == 1
        last = await turn(peer)
        assert last["response"]["output"][0]["content"][0]["text"] == "Still here."
        assert_sdk_valid(peer)


async def test_a_hanging_tool_times_out_and_the_session_goes_on(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    limits = McpLimits(list_timeout_s=20, call_timeout_s=2)
    lines = ("@call sleep_forever", "Still here.")
    async with session(
        tmp_path, mcp_server.url, *lines, limits=limits, require_approval="never"
    ) as peer:
        hung = (await turn(peer))["response"]["output"][0]
        assert hung["error"]["type"] == "protocol_error" and hung["error"]["code"] == -32001
        assert "within 2 s" in hung["error"]["message"]
        last = await turn(peer)
        assert last["response"]["output"][0]["content"][0]["text"] == "Still here."


async def test_a_function_tool_of_the_same_name_stays_the_clients(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    script = tmp_path / "script.txt"
    script.write_text('@call add {"a": 1, "b": 1}\n', encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}", mcp_limits=LIMITS) as srv,
        ws_peer(srv) as peer,
    ):
        function = {
            "type": "function",
            "name": "add",
            "parameters": {"type": "object", "properties": {}},
        }
        mcp = {
            "type": "mcp",
            "server_label": "tools",
            "server_url": mcp_server.url,
            "require_approval": "never",
        }
        await peer.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [function, mcp]}}
        )
        await peer.log.wait_for("mcp_list_tools.completed")
        done = await turn(peer)
        assert done["response"]["output"][0]["type"] == "function_call"


async def test_a_call_made_while_the_listing_runs_waits_for_it(
    tmp_path: Path,
) -> None:
    slow = start_mcp_server("--list-delay", "1")  # the call surely comes before the listing
    try:
        script = tmp_path / "script.txt"
        script.write_text('@call add {"a": 1, "b": 2}\n', encoding="utf-8")
        async with (
            local_server(responder=f"script:{script}", mcp_limits=LIMITS) as srv,
            ws_peer(srv) as peer,
        ):
            mcp = {
                "type": "mcp",
                "server_label": "tools",
                "server_url": slow.url,
                "require_approval": "never",
            }
            await peer.send(
                {"type": "session.update", "session": {"type": "realtime", "tools": [mcp]}}
            )
            await peer.send(USER)  # no wait for the listing
            await peer.send(TEXT)
            done = await peer.log.wait_for("response.done")
            assert done["response"]["output"][-1]["output"] == "3"
            assert peer.log.types().index("mcp_list_tools.completed") < peer.log.types().index(
                "response.mcp_call.in_progress"
            )
    finally:
        stop(slow)


async def test_over_webrtc_with_a_spoken_preamble(tmp_path: Path, mcp_server: McpProcess) -> None:
    """The same session over WebRTC's data channel: MCP tool in the call's session (listed at
    start), an audio response that says a sentence, asks for approval and runs the call."""
    from tests.server.conftest import rtc_peer

    script = tmp_path / "script.txt"
    script.write_text('Let me add that. @call add {"a": 4, "b": 5}\n', encoding="utf-8")
    mcp = {"type": "mcp", "server_label": "tools", "server_url": mcp_server.url}
    async with (
        local_server(responder=f"script:{script}", mcp_limits=LIMITS) as srv,
        rtc_peer() as rtc,
    ):
        session = {"type": "realtime", "tools": [mcp]}
        assert (
            await rtc.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test", session=session)
            == 201
        )
        await rtc.log.wait_for("mcp_list_tools.completed")
        rtc.send(USER)
        rtc.send({"type": "response.create"})
        request = await rtc.log.wait_for(
            "conversation.item.done", where=lambda e: e["item"]["type"] == "mcp_approval_request"
        )
        answer = {
            "type": "mcp_approval_response",
            "approval_request_id": request["item"]["id"],
            "approve": True,
        }
        rtc.send({"type": "conversation.item.create", "item": answer})
        done = await rtc.log.wait_for("response.done")
        kinds = [item["type"] for item in done["response"]["output"]]
        assert kinds == ["message", "mcp_approval_request", "mcp_call"]
        assert done["response"]["output"][0]["content"][0]["transcript"] == "Let me add that."
        assert done["response"]["output"][2]["output"] == "9"
        for event in rtc.log.events:
            assert problems(event, Dialect.GA) == [], event


async def test_a_retrieve_during_the_call_shows_its_arguments(
    tmp_path: Path, mcp_server: McpProcess
) -> None:
    """The Agents SDK retrieves the mcp_call item on response.mcp_call.in_progress."""
    limits = McpLimits(list_timeout_s=20, call_timeout_s=3)
    async with session(
        tmp_path, mcp_server.url, "@call sleep_forever", limits=limits, require_approval="never"
    ) as peer:
        await peer.send(USER)
        await peer.send(TEXT)
        running = await peer.log.wait_for("response.mcp_call.in_progress")
        await peer.send({"type": "conversation.item.retrieve", "item_id": running["item_id"]})
        retrieved = await peer.log.wait_for("conversation.item.retrieved")
        assert retrieved["item"]["arguments"] == "{}"
        assert retrieved["item"]["output"] is None and retrieved["item"]["error"] is None
        await peer.log.wait_for("response.done")
