"""Gemini's WebSocket against a real aiohttp server: the key rides in ``x-goog-api-key`` (not
the URL), text and binary frames both reach the runtime, and a close's code and reason are
reported (Gemini's only way to say what went wrong); a refused handshake names the key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSCloseCode, web

from voicechat.protocol.gemini import names
from voicechat.transport.auth import AuthError
from voicechat.transport.gemini import GeminiCallbacks, GeminiWebSocket, gemini_ws_url


class Seen:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.closed: asyncio.Future[tuple[int | None, str]] = \
            asyncio.get_running_loop().create_future()
        self.states: list[str] = []

    def callbacks(self) -> GeminiCallbacks:
        return GeminiCallbacks(on_frame=self.frames.append,
                               on_state=lambda s, _d: self.states.append(s),
                               on_closed=lambda c, r: self.closed.set_result((c, r)),
                               on_notice=lambda _level, _message: None)


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    got: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get(names.API_KEY_HEADER) == "bad":
            return web.Response(status=403)
        got["key"] = request.headers.get(names.API_KEY_HEADER)
        got["query"] = request.query_string
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        got["setup"] = json.loads((await ws.receive()).data)
        await ws.send_str('{"setupComplete": {}}')
        await ws.send_bytes(b'{"serverContent": {"turnComplete": true}}')
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"API key not valid.")
        return ws

    app = web.Application()
    app.router.add_get(names.PATH, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", got
    await runner.cleanup()


async def test_frames_both_kinds_and_the_close_code_with_its_reason(
        peer: tuple[str, dict[str, Any]]) -> None:
    base, got = peer
    seen = Seen()
    socket = GeminiWebSocket(gemini_ws_url(base), "k-123", seen.callbacks())
    await socket.connect()
    socket.send({"setup": {"model": "models/x"}})
    code, reason = await asyncio.wait_for(seen.closed, 10)
    assert (code, reason) == (1008, "API key not valid.")
    assert seen.frames == ['{"setupComplete": {}}', '{"serverContent": {"turnComplete": true}}']
    assert got["key"] == "k-123" and got["query"] == ""  # never on the URL
    assert got["setup"] == {"setup": {"model": "models/x"}}
    assert seen.states[:2] == ["connecting", "connected"] and seen.states[-1] == "closed"
    await socket.close()


async def test_a_refused_key_is_an_auth_error_naming_the_variable(
        peer: tuple[str, dict[str, Any]]) -> None:
    base, _ = peer
    socket = GeminiWebSocket(gemini_ws_url(base), "bad", Seen().callbacks())
    with pytest.raises(AuthError, match="GEMINI_API_KEY"):
        await socket.connect()


def test_the_url_keeps_a_gemini_path_and_adds_googles_to_a_base() -> None:
    assert gemini_ws_url("http://h:1") == "ws://h:1" + names.PATH
    assert gemini_ws_url("https://h" + names.V1_PATH) == "wss://h" + names.V1_PATH
