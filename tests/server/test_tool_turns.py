"""Tool turns end to end: the official SDK (GA and beta, WebSocket) and our client's WebRTC
transport declare a tool, get a call from the ``chat:`` responder (a fake OpenAI-compatible
endpoint: a model cannot run here), send the output, ask again and get the spoken answer; the
endpoint really received the tools, ``tool_choice`` and, on the next turn, the calls and
outputs as chat messages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import EventLog, local_server
from tests.server.fake_chat import calls_reply, fake_chat, text_reply
from tests.server.test_sdk import collect_until, sdk
from voicechat.transport.auth import Endpoint
from voicechat.transport.base import TransportCallbacks
from voicechat.transport.webrtc import WebRtcTransport

CALL_ID = re.compile(r"^call_[A-Za-z0-9]{16}$")
PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city now.",
    "parameters": PARAMS,
}
TIME = {
    "type": "function",
    "name": "get_time",
    "description": "The time in a zone.",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def chat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A Realtime function tool as the chat endpoint must receive it."""
    function = {k: tool[k] for k in ("name", "description", "parameters")}
    return {"type": "function", "function": function}


async def test_ga_sdk_call_output_and_spoken_answer() -> None:
    answer = "It is sunny in Paris."
    async with (
        fake_chat(calls_reply([("get_weather", '{"city": "Paris"}')]), text_reply(answer)) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        sdk(srv).realtime.connect(model="gpt-realtime") as conn,
    ):
        await conn.session.update(
            session={"type": "realtime", "tools": [WEATHER], "tool_choice": "auto"}  # type: ignore[list-item]
        )
        await conn.conversation.item.create(item=user("weather in Paris?"))  # type: ignore[arg-type]
        await conn.response.create()
        events = await collect_until(conn, "response.done")
        types = [e.type for e in events]
        start = types.index("response.created")
        n_deltas = types.count("response.function_call_arguments.delta")
        assert n_deltas >= 2
        assert types[start:] == [
            "response.created",
            "rate_limits.updated",
            "response.output_item.added",
            "conversation.item.added",
            *["response.function_call_arguments.delta"] * n_deltas,
            "response.function_call_arguments.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
        ]
        added = events[start + 2]
        assert added.item.type == "function_call" and added.item.status == "in_progress"  # type: ignore[union-attr]
        assert added.item.arguments == ""  # type: ignore[union-attr]
        call = events[-1].response.output[0]  # type: ignore[union-attr]
        assert (call.type, call.name, call.status) == ("function_call", "get_weather", "completed")
        assert call.arguments == '{"city": "Paris"}'  # as the model wrote it
        assert CALL_ID.match(call.call_id)
        args_done = events[types.index("response.function_call_arguments.done")]
        assert (args_done.name, args_done.call_id) == ("get_weather", call.call_id)  # type: ignore[union-attr]
        deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
        assert "".join(deltas) == call.arguments

        output = '{"temp_c": 21, "sky": "sunny"}'
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": output}
        )
        await conn.response.create()
        events = await collect_until(conn, "response.done")
    spoken = "".join(e.delta for e in events if e.type == "response.output_audio_transcript.delta")
    assert spoken == answer
    assert any(e.type == "response.output_audio.delta" for e in events)
    assert events[-1].response.status == "completed"  # type: ignore[union-attr]
    first, second = chat.requests
    assert first["tools"] == [chat_tool(WEATHER)] and first["tool_choice"] == "auto"
    assert first["messages"][-1] == {"role": "user", "content": "weather in Paris?"}
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.call_id, "content": output},
    ]


async def test_beta_sdk_preamble_then_parallel_calls_then_the_answer() -> None:
    preamble = "Let me check that for you."
    answer = "It is sunny and ten past noon."
    first_reply = calls_reply(
        [("get_weather", '{"city":"Paris"}'), ("get_time", '{"zone":"Europe/Paris"}')], preamble
    )
    async with (
        fake_chat(first_reply, text_reply(answer)) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
        sdk(srv).beta.realtime.connect(model="gpt-4o-realtime-preview") as conn,
    ):
        await conn.session.update(
            session={"tools": [WEATHER, TIME], "tool_choice": "required"}  # type: ignore[list-item]
        )
        await conn.conversation.item.create(item=user("weather and time?"))  # type: ignore[arg-type]
        await conn.response.create()
        events = await collect_until(conn, "response.done")
        types = [e.type for e in events]
        assert "conversation.item.added" not in types and "conversation.item.done" not in types
        items = [e.item for e in events if e.type == "response.output_item.done"]  # type: ignore[union-attr]
        assert [(i.type, i.status) for i in items] == [
            ("message", "completed"),
            ("function_call", "completed"),
            ("function_call", "completed"),
        ]
        assert items[0].content[0].transcript == preamble
        # the message is closed before the first call opens (real beta order, REC-01)
        second_added = [i for i, t in enumerate(types) if t == "response.output_item.added"][1]
        assert types.index("response.audio_transcript.done") < second_added
        created = [e.item for e in events if e.type == "conversation.item.created"]  # type: ignore[union-attr]
        assert all(i.object == "realtime.item" for i in created)
        calls = events[-1].response.output[1:]  # type: ignore[union-attr]
        assert [c.name for c in calls] == ["get_weather", "get_time"]
        assert [e.output_index for e in events if e.type == "response.output_item.added"] == [
            0,
            1,
            2,
        ]
        assert len({c.call_id for c in calls}) == 2
        for call, output in zip(calls, ('{"sky":"sunny"}', '{"time":"12:10"}'), strict=True):
            await conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": output}
            )
        await conn.response.create()
        events = await collect_until(conn, "response.done")
    spoken = "".join(e.delta for e in events if e.type == "response.audio_transcript.delta")
    assert spoken == answer
    first, second = chat.requests
    assert first["tools"] == [chat_tool(WEATHER), chat_tool(TIME)]
    assert first["tool_choice"] == "required"
    assistant, *tool_messages = second["messages"][-3:]
    assert assistant["content"] == preamble
    assert [c["id"] for c in assistant["tool_calls"]] == [c.call_id for c in calls]
    assert tool_messages == [
        {"role": "tool", "tool_call_id": calls[0].call_id, "content": '{"sky":"sunny"}'},
        {"role": "tool", "tool_call_id": calls[1].call_id, "content": '{"time":"12:10"}'},
    ]


class DataChannelPeer:
    """Our client's WebRTC transport with its events kept in an :class:`EventLog`."""

    def __init__(self) -> None:
        self.log = EventLog()
        self.states: list[tuple[str, str]] = []

    def callbacks(self) -> TransportCallbacks:
        return TransportCallbacks(
            on_event=lambda text: self.log.add(json.loads(text)),
            on_audio=lambda pcm, item: None,
            on_state=lambda state, why: self.states.append((state, why)),
            on_notice=lambda level, text: None,
        )


@pytest.mark.parametrize("dialect", ["ga", "beta"])
async def test_webrtc_tool_turn_with_our_client_transport(dialect: str) -> None:
    answer = "Twenty one degrees."
    async with (
        fake_chat(
            calls_reply([("get_weather", '{"city":"Oslo"}')], "One moment."), text_reply(answer)
        ) as chat,
        local_server(responder=f"chat:{chat.url}") as srv,
    ):
        peer = DataChannelPeer()
        model = "gpt-realtime" if dialect == "ga" else "gpt-4o-realtime-preview"
        transport = WebRtcTransport(
            Endpoint("local", dialect, srv.base_url, model, api_key="sk-test"),
            peer.callbacks(),
            loopback=True,
        )
        await transport.connect()
        try:
            log = peer.log
            await log.wait_for("session.created")
            session: dict[str, Any] = {"tools": [WEATHER]}
            if dialect == "ga":
                session["type"] = "realtime"
            transport.send_event({"type": "session.update", "session": session})
            await log.wait_for("session.updated")
            transport.send_event({"type": "conversation.item.create", "item": user("Oslo?")})
            transport.send_event({"type": "response.create"})
            done = await log.wait_for("response.done")
            message, call = done["response"]["output"]
            assert message["type"] == "message" and call["type"] == "function_call"
            assert call["arguments"] == '{"city":"Oslo"}' and CALL_ID.match(call["call_id"])
            transport.send_event(
                {
                    "type": "conversation.item.create",
                    "item": {
                        "type": "function_call_output",
                        "call_id": call["call_id"],
                        "output": "21 C",
                    },
                }
            )
            transport.send_event({"type": "response.create"})
            second = await log.wait_for("response.done", after=log.index(done) + 1)
            answer_id = second["response"]["id"]
            await log.wait_for(  # the answer was played to the end
                "output_audio_buffer.stopped", where=lambda e: e["response_id"] == answer_id
            )
        finally:
            await transport.close()
    assert second["response"]["status"] == "completed"
    transcript = second["response"]["output"][0]["content"][0]["transcript"]
    assert transcript == answer
    assert "error" not in log.types()
    assert chat.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": call["call_id"],
        "content": "21 C",
    }
