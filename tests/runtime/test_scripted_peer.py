"""The client against a scripted WebSocket peer that speaks real recorded GA events (issue 11).

The peer is an aiohttp server on 127.0.0.1. It answers the client's ``session.update`` with a
real ``session.updated`` that ignored the request (transcription off, ``interrupt_response:
true``) and a typed message with a real recorded response carrying usage and a tokens-only
``rate_limits.updated`` (see ``tests/runtime/recorded/README.md``). The client must show the
mismatch, the usage and the response, and keep one connection — also when the peer slips
malformed events in between, which used to tear the socket down and reconnect in a loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import WSMsgType, web

from tests.helpers import until
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime import Runtime

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str) -> list[str]:
    return (RECORDED / name).read_text(encoding="utf-8").splitlines()


SESSION = recorded("ga_session_ignores_request.jsonl")
RESPONSE = recorded("ga_response_with_usage.jsonl")

MALFORMED = [
    '{"type":"response.created","event_id":"event_bad1","response":"x"}',
    '{"type":"response.output_audio.delta","event_id":"event_bad2","response_id":"resp_x",'
    '"item_id":"item_x","output_index":0,"content_index":0,"delta":12345}',
    '{"type":"response.output_audio.delta","event_id":"event_bad3","response_id":"resp_x",'
    '"item_id":"item_x","output_index":0,"content_index":0,"delta":"%%%not base64%%%"}',
    '{"type":"session.updated","event_id":"event_bad4","session":7}',
    '{"type":"rate_limits.updated","event_id":"event_bad5","rate_limits":{"name":"tokens"}}',
]


@dataclass
class Peer:
    """What the scripted server saw, and what it slips in before the recorded response."""

    before_response: list[str] = field(default_factory=list)
    connections: int = 0
    received: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        self.connections += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(SESSION[0])
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                break
            kind = json.loads(message.data).get("type")
            self.received.append(kind)
            if kind == "session.update":
                await ws.send_str(SESSION[1])
            elif kind == "response.create":
                for text in [*self.before_response, *RESPONSE]:
                    await ws.send_str(text)
        return ws


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    state = Peer()
    app = web.Application()
    app.router.add_get("/v1/realtime", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


async def converse(peer: Peer) -> tuple[Runtime, list[LogRecord]]:
    settings = Settings(server=peer.url, transport="websocket", dialect="ga",
                        model="gpt-realtime", api_key="sk-test-key-123456", mic="none",
                        speaker="none")
    runtime = Runtime(settings)
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    await runtime.start()
    try:
        await until(lambda: "session.update" in peer.received, "the client's session.update")
        runtime.send_text("I'd like some help with my account")
        await until(lambda: runtime.view.rate_limits,
                    lambda: f"the response; last: {[r.event['type'] for r in records][-12:]}")
    finally:
        await runtime.stop()
    return runtime, records


def notices(records: list[LogRecord]) -> list[str]:
    return [str(r.event["message"]) for r in records if r.event["type"] == "local.notice"]


async def test_ignored_session_usage_and_response_on_one_connection(peer: Peer) -> None:
    runtime, records = await converse(peer)
    assert peer.connections == 1
    said = notices(records)
    assert any("did not apply" in s and "input transcription is off" in s for s in said), said
    assert any("interrupt_response is true (asked for false)" in s for s in said), said
    assert any("the server cancels the assistant itself" in s for s in said), said
    view = runtime.view
    assert view.server_session is not None and view.server_session.transcription is False
    assert runtime.completed_responses == 1
    assert [e.text for e in view.entries if e.role == "assistant"] == [
        "I'd like to close my account."]
    usage = view.usage
    assert (usage.responses, usage.total.input_total, usage.total.output_total) == (1, 394, 78)
    assert usage.total.output_audio == 44 and usage.model == "gpt-realtime"
    assert usage.cost_usd == pytest.approx((394 * 4.0 + 34 * 16.0 + 44 * 64.0) / 1e6)
    [limit] = view.rate_limits
    assert (limit.name, limit.remaining, limit.limit) == ("tokens", 197736, 200000)
    states = [r.event.get("state") for r in records if r.event["type"] == "local.transport.state"]
    assert "reconnecting" not in states


async def test_malformed_events_are_notices_and_the_conversation_goes_on(peer: Peer) -> None:
    peer.before_response = MALFORMED
    runtime, records = await converse(peer)
    assert peer.connections == 1
    said = notices(records)
    expected = [
        "skipped a malformed response.created: field 'response' has no 'id'",
        "skipped a malformed response.output_audio.delta: field 'delta' is not a string",
        "skipped the audio of a malformed response.output_audio.delta: field 'delta': "
        "audio payload is not valid base64",
        "skipped a malformed session.updated: field 'session' is not an object",
        "skipped a malformed rate_limits.updated: field 'rate_limits' is not a list",
    ]
    for text in expected:
        assert any(s.startswith(text) for s in said), (text, said)
    assert runtime.completed_responses == 1
    assert runtime.view.usage.total.total == 472
    assert not any(r.event.get("state") == "reconnecting" for r in records)
