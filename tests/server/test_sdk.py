"""The official ``openai`` SDK (3.52.0) cannot tell the local server from the real one."""

from __future__ import annotations

import asyncio
from typing import Any

from openai import AsyncAzureOpenAI, AsyncOpenAI

from voicechat.server.app import LocalServer


def sdk(srv: LocalServer) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="sk-test", base_url=f"{srv.base_url}/v1", websocket_base_url=srv.ws_url
    )


async def collect_until(conn: Any, kind: str, limit: float = 20.0) -> list[Any]:
    events: list[Any] = []

    async def run() -> None:
        async for event in conn:
            events.append(event)
            if event.type == kind:
                return

    await asyncio.wait_for(run(), limit)
    return events


USER_HELLO = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "hello there"}],
}


async def test_ga_text_turn(server: LocalServer) -> None:
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item=USER_HELLO)  # type: ignore[arg-type]
        await conn.response.create()
        events = await collect_until(conn, "response.done")
    types = [e.type for e in events]
    assert types[0] == "session.created"
    assert types.index("session.updated") < types.index("response.created")
    assert types[types.index("response.created") :] == [
        "response.created",
        "rate_limits.updated",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * types.count("response.output_text.delta"),
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "You said: hello there"
    done = events[-1].response
    assert done.status == "completed"
    assert done.output[0].content[0].text == text
    assert events[types.index("session.updated")].session.output_modalities == ["text"]
    limits = events[types.index("rate_limits.updated")].rate_limits  # parsed by the SDK's model
    # GA reports the token bucket only (real GA recordings); beta keeps requests too
    assert [(x.name, x.limit) for x in limits] == [("tokens", 40000)]
    assert limits[0].remaining < 40000 and 0 < limits[0].reset_seconds < 60
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert all(len(e.delta + e.obfuscation) % 16 == 0 for e in deltas)  # type: ignore[attr-defined]


async def test_beta_text_turn(server: LocalServer) -> None:
    async with sdk(server).beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
        await conn.session.update(session={"modalities": ["text"], "instructions": "Be short."})
        await conn.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hi"}],
            }
        )
        await conn.response.create()
        events = await collect_until(conn, "response.done")
    types = [e.type for e in events]
    assert types[:2] == ["session.created", "conversation.created"]
    assert "conversation.item.created" in types and "conversation.item.added" not in types
    assert "conversation.item.done" not in types  # GA-only event never reaches a beta peer
    updated = events[types.index("session.updated")].session
    assert updated.modalities == ["text"] and updated.instructions == "Be short."
    text = "".join(e.delta for e in events if e.type == "response.text.delta")
    assert text == "You said: hi"
    created = types.index("response.created")
    assert types[created + 1] == "rate_limits.updated"
    assert [x.name for x in events[created + 1].rate_limits] == ["requests", "tokens"]
    assert events[-1].response.output[0].content[0].type == "text"


async def test_real_error_events(server: LocalServer) -> None:
    async with sdk(server).realtime.connect(model="gpt-realtime") as conn:
        await collect_until(conn, "session.created")
        await conn.send(
            {  # type: ignore[arg-type]
                "type": "session.update",
                "event_id": "evt_bad",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {"turn_detection": {"type": "server_vad", "max_speech_ms": 3000}}
                    },
                },
            }
        )
        bad = (await collect_until(conn, "error"))[-1].error
        assert bad.code == "unknown_parameter"
        assert bad.param == "session.audio.input.turn_detection.max_speech_ms"
        assert bad.message == (
            "Unknown parameter: 'session.audio.input.turn_detection.max_speech_ms'."
        )
        assert bad.event_id == "evt_bad"

        await conn.send({"type": "response.cancel", "event_id": "evt_cancel"})  # type: ignore[arg-type]
        idle = (await collect_until(conn, "error"))[-1].error
        assert idle.code == "response_cancel_not_active"
        assert idle.message == "Cancellation failed: no active response found"
        assert idle.event_id == "evt_cancel"

        await conn.conversation.item.create(item=USER_HELLO)  # type: ignore[arg-type]
        await conn.send({"type": "response.create", "event_id": "evt_one"})  # type: ignore[arg-type]
        await conn.send({"type": "response.create", "event_id": "evt_two"})  # type: ignore[arg-type]
        events = await collect_until(conn, "error")
        created = next(e for e in events if e.type == "response.created")
        busy = events[-1].error
        assert busy.code == "conversation_already_has_active_response"
        assert busy.event_id == "evt_two"
        assert busy.message == (
            f"Conversation already has an active response in progress: {created.response.id}. "
            "Wait until the response is finished before creating a new one."
        )
        done = await collect_until(conn, "response.done")
        assert done[-1].response.status == "completed"
        # the rejected session.update changed nothing
        td = (await _session(conn)).audio.input.turn_detection
        assert td.type == "server_vad" and td.silence_duration_ms == 200


async def _session(conn: Any) -> Any:
    await conn.session.update(session={"type": "realtime"})
    events = await collect_until(conn, "session.updated")
    return events[-1].session


async def test_azure_paths_with_sdk(server: LocalServer) -> None:
    azure = AsyncAzureOpenAI(
        azure_endpoint=server.base_url,
        api_version="2025-04-01-preview",
        api_key="azure-key",
        websocket_base_url=server.base_url.replace("http", "ws", 1) + "/openai",
    )
    async with azure.realtime.connect(model="my-deployment") as conn:
        events = await collect_until(conn, "conversation.created")
    # Azure's preview path speaks beta: flat session, conversation.created
    assert events[0].type == "session.created"
    assert events[0].session.model == "my-deployment"
    assert "modalities" in events[0].session.model_dump()

    ga_azure = AsyncOpenAI(
        api_key="azure-key",
        base_url=f"{server.base_url}/openai/v1",
        websocket_base_url=server.base_url.replace("http", "ws", 1) + "/openai/v1",
        default_headers={"api-key": "azure-key"},
    )
    async with ga_azure.realtime.connect(model="my-deployment") as conn:
        events = await collect_until(conn, "session.created")
        assert events[0].session.type == "realtime"
        assert events[0].session.model == "my-deployment"
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item=USER_HELLO)  # type: ignore[arg-type]
        await conn.response.create()
        done = await collect_until(conn, "response.done")
    assert done[-1].response.output[0].content[0].text == "You said: hello there"
