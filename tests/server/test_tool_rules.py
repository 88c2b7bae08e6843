"""The service's rules for tool turns, each refusal in its exact wording, and hostile input.

Raw WebSocket peers (tests/server/conftest.py) against the real local server with the script
responder (``@call`` lines) or the ``chat:`` responder on a fake endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import local_server
from tests.server.conftest import WsPeer, ws_peer
from tests.server.fake_chat import calls_reply, fake_chat, text_reply
from voicechat.server.app import LocalServer
from voicechat.server.nesting import MAX_DEPTH

BETA_HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "realtime=v1"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
USER = {
    "type": "conversation.item.create",
    "item": {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "weather?"}],
    },
}
TEXT = {"type": "response.create", "response": {"output_modalities": ["text"]}}


def script(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "script.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"script:{path}"


def output(call_id: str, text: Any = "sunny") -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": text},
    }


async def error_after(peer: WsPeer, event: dict[str, Any]) -> dict[str, Any]:
    """Send ``event`` (tagged with an event_id) and return the error it earns."""
    tagged = {**event, "event_id": f"evt_{len(peer.log.events)}"}
    await peer.send(tagged)
    found = await peer.log.wait_for(
        "error", where=lambda e: e["error"].get("event_id") == tagged["event_id"]
    )
    error: dict[str, Any] = found["error"]
    return error


async def call_turn(peer: WsPeer) -> dict[str, Any]:
    """A user message and a response that calls; returns the call item."""
    n = len(peer.log.events)
    await peer.send({"type": "session.update", "session": {"type": "realtime", "tools": [WEATHER]}})
    await peer.send(USER)
    await peer.send(TEXT)
    done = await peer.log.wait_for("response.done", after=n)
    call: dict[str, Any] = done["response"]["output"][-1]
    assert call["type"] == "function_call"
    return call


@pytest.fixture
async def calling(tmp_path: Path) -> Any:
    spec = script(tmp_path, '@call get_weather {"city": "Paris"}', "It is sunny.", "Anything else?")
    async with local_server(responder=spec) as srv:
        yield srv


async def test_no_response_after_an_output_until_response_create(calling: LocalServer) -> None:
    async with ws_peer(calling) as peer:
        call = await call_turn(peer)
        n = len(peer.log.events)
        await peer.send(output(call["call_id"]))
        # events are handled in order: a response started by the output would show before this
        await peer.send({"type": "conversation.item.retrieve", "item_id": call["id"]})
        await peer.log.wait_for("conversation.item.retrieved", after=n)
        assert "response.created" not in peer.log.types()[n:]
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done", after=n)
    assert done["response"]["output"][0]["content"][0]["text"] == "It is sunny."


async def test_response_create_during_a_response_is_refused_in_each_dialect(
    tmp_path: Path,
) -> None:
    long = " ".join(["A long answer that keeps the response running."] * 8)
    async with local_server(responder=script(tmp_path, long, long)) as srv:
        async with ws_peer(srv) as peer:
            await peer.send(USER)
            await peer.send(TEXT)
            created = await peer.log.wait_for("response.created")
            error = await error_after(peer, TEXT)
            rid = created["response"]["id"]
            assert error["code"] == "conversation_already_has_active_response"
            assert error["message"] == (
                f"Conversation already has an active response in progress: {rid}. Wait until "
                "the response is finished before creating a new one."
            )
        async with ws_peer(
            srv, "/v1/realtime?model=gpt-4o-realtime-preview", headers=BETA_HEADERS
        ) as peer:
            await peer.send(USER)
            await peer.send({"type": "response.create", "response": {"modalities": ["text"]}})
            await peer.log.wait_for("response.created")
            error = await error_after(peer, {"type": "response.create"})
            assert error["message"] == "Conversation already has an active response"
            assert error["code"] is None and error["type"] == "invalid_request_error"


async def test_an_output_for_an_unknown_call_is_an_error(calling: LocalServer) -> None:
    async with ws_peer(calling) as peer:
        await call_turn(peer)
        error = await error_after(peer, output("call_doesnotexist00"))
        added = [e["item"]["type"] for e in peer.log.of("conversation.item.added")]
    assert error == {
        "type": "invalid_request_error",
        "code": None,
        "message": "No tool call found for function call output with call_id "
        "'call_doesnotexist00'. The function_call_output must answer a function_call item in "
        "this conversation.",
        "param": "item.call_id",
        "event_id": error["event_id"],
    }
    assert added == ["message", "function_call"]  # nothing was added for the output


@pytest.mark.parametrize("dialect", ["ga", "beta"])
async def test_the_validator_refusals_in_the_real_wording(
    server: LocalServer, dialect: str
) -> None:
    ga = dialect == "ga"
    path = "/v1/realtime?model=" + ("gpt-realtime" if ga else "gpt-4o-realtime-preview")
    async with ws_peer(server, path, headers=None if ga else BETA_HEADERS) as peer:
        tool = {**WEATHER, "meta": {"source": "mcp"}}
        session = {"type": "realtime", "tools": [tool]} if ga else {"tools": [tool]}
        error = await error_after(peer, {"type": "session.update", "session": session})
        assert error["code"] == "unknown_parameter"
        assert error["message"] == "Unknown parameter: 'session.tools[0].meta'."
        error = await error_after(peer, {"type": "response.create", "response": {"tools": [tool]}})
        assert error["message"] == "Unknown parameter: 'response.tools[0].meta'."
        error = await error_after(peer, output("call_1", {"temp": 21}))
        assert (error["code"], error["param"]) == ("invalid_type", "item.output")
        assert error["message"] == (
            "Invalid type for 'item.output': expected a string, but got an object instead."
        )
        error = await error_after(peer, output("call_" + "x" * 43))
        assert error["code"] == "string_above_max_length"
        assert error["message"] == (
            "Invalid 'item.call_id': string too long. Expected a string with maximum length 32, "
            "but got a string with length 48 instead."
        )
        updates = [e for e in peer.log.events if e["type"] == "session.updated"]
    assert updates == []  # a refused update changes nothing


async def test_tool_choice_none_required_and_forced(tmp_path: Path) -> None:
    spec = script(
        tmp_path,
        "Let me look. @call get_weather {}",
        "No call here.",
        "@call other {}",
        "@call get_weather {}",
    )
    async with local_server(responder=spec) as srv, ws_peer(srv) as peer:
        session = {"type": "realtime", "tools": [WEATHER], "tool_choice": "none"}
        await peer.send({"type": "session.update", "session": session})
        await peer.send(USER)
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done")
        assert [o["type"] for o in done["response"]["output"]] == ["message"]  # call dropped
        n = len(peer.log.events)
        await peer.send(
            {
                "type": "response.create",
                "response": {"output_modalities": ["text"], "tool_choice": "required"},
            }
        )
        failed = await peer.log.wait_for("response.done", after=n)
        assert failed["response"]["status"] == "failed"
        message = failed["response"]["status_details"]["error"]["message"]
        assert "line 2: tool_choice 'required' requires a call, but the line has no call" in message
        n = len(peer.log.events)
        forced = {"type": "function", "name": "get_weather"}
        await peer.send(
            {
                "type": "response.create",
                "response": {"output_modalities": ["text"], "tool_choice": forced},
            }
        )
        failed = await peer.log.wait_for("response.done", after=n)
        assert (
            "requires a call to 'get_weather', but the line has calls to 'other'"
            in (failed["response"]["status_details"]["error"]["message"])
        )
        n = len(peer.log.events)
        await peer.send(
            {
                "type": "response.create",
                "response": {"output_modalities": ["text"], "tool_choice": forced},
            }
        )
        done = await peer.log.wait_for("response.done", after=n)
    assert [o["name"] for o in done["response"]["output"]] == ["get_weather"]


def nested_schema(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"inner": schema}}
    return schema


async def test_a_deeply_nested_schema_is_refused_and_a_deep_one_reaches_the_model() -> None:
    async with (
        fake_chat(calls_reply([("deep", "{}")])) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        ws_peer(srv) as peer,
    ):
        hostile = {**WEATHER, "parameters": nested_schema(MAX_DEPTH)}
        session = {"type": "realtime", "tools": [hostile]}
        error = await error_after(peer, {"type": "session.update", "session": session})
        assert error["message"].startswith("The event is nested too deeply")
        deep = {**WEATHER, "name": "deep", "parameters": nested_schema(12)}
        await peer.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [deep]}}
        )
        await peer.log.wait_for("session.updated")
        await peer.send(USER)
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done")
    assert done["response"]["output"][0]["name"] == "deep"
    assert chat.requests[0]["tools"][0]["function"]["parameters"] == nested_schema(12)


async def test_a_5_mb_output_is_accepted_and_the_answer_still_comes(calling: LocalServer) -> None:
    """Decided: accepted within the WebSocket frame limit (15 MB, server/ws.py), as the real
    service documents no limit; it is echoed back in conversation.item.added like any item."""
    big = "x" * (5 * 1024 * 1024)
    async with ws_peer(calling) as peer:
        call = await call_turn(peer)
        n = len(peer.log.events)
        await peer.send(output(call["call_id"], big))
        added = await peer.log.wait_for("conversation.item.added", after=n)
        assert len(added["item"]["output"]) == len(big)
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done", after=n)
    assert done["response"]["status"] == "completed"
    assert done["response"]["output"][0]["content"][0]["text"] == "It is sunny."
    assert done["response"]["usage"]["input_tokens"] > 1_000_000  # the output is in the context


async def test_a_failing_tool_and_malformed_arguments_from_the_model() -> None:
    """The model's arguments pass through as written (not JSON here); a tool that failed says so
    in its output, and the answer still comes, from what the model was told."""
    broken = '{"city": "Par'

    def answer(body: dict[str, Any]) -> list[dict[str, Any]]:
        told = body["messages"][-1]["content"]
        return text_reply("Sorry, the weather service failed." if "error" in told else "Fine.")

    async with (
        fake_chat(calls_reply([("get_weather", broken)]), answer) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        ws_peer(srv) as peer,
    ):
        call = await call_turn(peer)
        assert call["arguments"] == broken and call["status"] == "completed"
        n = len(peer.log.events)
        await peer.send(output(call["call_id"], '{"error": "weather service unreachable"}'))
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done", after=n)
    assert done["response"]["output"][0]["content"][0]["text"] == (
        "Sorry, the weather service failed."
    )
    tool_calls = chat.requests[1]["messages"][-2]["tool_calls"]
    assert tool_calls[0]["function"]["arguments"] == broken


async def test_tool_choice_none_reaches_the_model_and_a_call_anyway_is_dropped() -> None:
    async with (
        fake_chat(calls_reply([("get_weather", "{}")], "I will not call.")) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        ws_peer(srv) as peer,
    ):
        session = {"type": "realtime", "tools": [WEATHER], "tool_choice": "none"}
        await peer.send({"type": "session.update", "session": session})
        await peer.send(USER)
        await peer.send(TEXT)
        done = await peer.log.wait_for("response.done")
    assert chat.requests[0]["tool_choice"] == "none"
    assert [o["type"] for o in done["response"]["output"]] == ["message"]
    assert "response.function_call_arguments.delta" not in peer.log.types()
