"""A gateway-shaped relay in front of our own local server, for the gateway tests (issue 37).

Many users reach OpenAI through an OpenAI-compatible gateway (new-api, one-api, LiteLLM). The
local server stays OpenAI-shaped; this relay sits in front of it on 127.0.0.1 and behaves the way
those gateways do, as read from their source (``../shared/reference/gateways.md``):

``ws-only``
    the one-api family (new-api, one-api forks): relays only ``GET /v1/realtime`` (WebSocket),
    routed on ``?model=`` (none: 503 "no channel"), with ``X-Oneapi-Request-Id`` on every
    answer; every other ``/v1/...`` path is a 404 ``Invalid URL (POST /v1/...)`` JSON with no
    auth check (gin ``NoRoute``), and any path outside ``/v1`` is the dashboard, 200
    ``text/html``.
``new-api-today``
    new-api as it behaves since OpenAI retired the beta API (2026-05-12): it forces the beta
    header upstream, so OpenAI answers one ``error`` event ``beta_api_shape_disabled``; new-api
    relays it and drops the TCP socket with no close frame (the client sees 1006). Emulated here
    without an upstream: what reaches the client is exactly that.
``no-channel``
    every ``/v1/realtime`` upgrade refused before the upgrade with 503 and the family's JSON
    ``{"error":{"message":"当前分组 default 下对于模型 gpt-realtime 无可用渠道 (request id: …)",
    "type":"new_api_error"}}``.
``speaks-beta``
    ``ws-only``, but the answers come in the beta dialect's names (``response.audio.delta``,
    ``conversation.item.created``): a gateway whose upstream speaks beta.
``bills-and-drops``
    ``ws-only``, but the socket is dropped (1006) right after each ``response.done``, as new-api
    does when billing the turn fails (quota used up, the token not found).
``litellm``
    LiteLLM's proxy (1.106-1.110, as probed and read in the facts file): the WebSocket is relayed
    (the ``OpenAI-Beta`` header only if the client sent it); WebRTC in two steps:
    ``POST /v1/realtime/client_secrets`` with the proxy key answers the upstream's key wrapped in
    a token valid only at this proxy's ``POST /v1/realtime/calls``, which reads the whole body
    as the SDP (a multipart body reaches the upstream mangled), refuses the proxy key with 401
    ``{"error": "Invalid or expired token"}`` and does not pass ``Location`` through. The
    beta paths (``/v1/realtime/sessions``, the SDP ``POST /v1/realtime``) and anything else
    answer 404 ``{"detail":"Not Found"}``.

``attempts`` counts the WebSocket upgrades asked for, ``posts`` the other requests, so a test
can tell one try from a retry loop.

``idle_cut_s`` (any personality that relays): nginx in front of the gateway, as deployed. Its
WebSocket proxy closes the connection after ``proxy_read_timeout`` (60 s by default) without data
from the backend to the client; gorilla (new-api) answers a client's ping with a pong, which is
such data, so a client that pings while idle keeps the session, and one that does not loses it
with no close frame. ``idle_cuts`` counts the sockets cut so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

PERSONALITIES = ("ws-only", "new-api-today", "no-channel", "litellm", "speaks-beta",
                 "bills-and-drops")
#: what a beta upstream calls the GA events (``speaks-beta``: a gateway on the beta dialect)
GA_TO_BETA = {"response.output_audio.delta": "response.audio.delta",
              "response.output_audio.done": "response.audio.done",
              "response.output_audio_transcript.delta": "response.audio_transcript.delta",
              "response.output_audio_transcript.done": "response.audio_transcript.done",
              "response.output_text.delta": "response.text.delta",
              "response.output_text.done": "response.text.done",
              "conversation.item.added": "conversation.item.created"}
REQUEST_ID = "20261125035000123456789abcdef"
NO_CHANNEL = "当前分组 default 下对于模型 gpt-realtime 无可用渠道"
BETA_DISABLED = {
    "type": "error",
    "event_id": f"evt_{REQUEST_ID}",
    "error": {
        "type": "invalid_request_error",
        "code": "beta_api_shape_disabled",
        "message": "The Realtime Beta API is no longer supported. Please use /v1/realtime for "
                   "the GA API.",
        "param": None,
        "event_id": None,
    },
}


class GatewayRelay:
    """The relay (see the module docstring); ``base_url`` once started."""

    def __init__(self, upstream_base_url: str, personality: str,
                 idle_cut_s: float | None = None) -> None:
        if personality not in PERSONALITIES:
            raise ValueError(f"unknown personality {personality!r}")
        self.upstream = upstream_base_url.rstrip("/")
        self.personality = personality
        self.idle_cut_s = idle_cut_s
        self._wrapped: dict[str, str] = {}  # litellm: its token -> the upstream's key
        self.attempts = 0
        self.idle_cuts = 0
        self.pongs = 0
        self.posts: list[str] = []
        self._open: set[asyncio.Transport] = set()
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def one_api(self) -> bool:
        return self.personality != "litellm"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def drop_all(self) -> None:
        """Drop every relayed socket with no close frame (a lost link, as the client sees it);
        set ``personality`` first to change what the reconnect meets."""
        for transport in list(self._open):
            transport.abort()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- routing ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"X-Oneapi-Request-Id": REQUEST_ID} if self.one_api else {}

    def _json(self, status: int, body: dict[str, Any]) -> web.Response:
        return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                            content_type="application/json", headers=self._headers())

    def _not_found(self, request: web.Request) -> web.Response:
        if not self.one_api:
            return self._json(404, {"detail": "Not Found"})
        return self._json(404, {"error": {
            "message": f"Invalid URL ({request.method} {request.path})",
            "type": "invalid_request_error", "param": "", "code": ""}})

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        is_upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if path in ("/v1/realtime", "/realtime") and request.method == "GET" and is_upgrade:
            if path == "/realtime" and self.one_api:  # the dashboard answers it
                return self._dashboard()
            self.attempts += 1
            return await self._websocket(request)
        self.posts.append(f"{request.method} {path}")
        if not self.one_api and request.method == "POST" and path == "/v1/realtime/client_secrets":
            return await self._litellm_client_secret(request)
        if not self.one_api and request.method == "POST" and path == "/v1/realtime/calls":
            return await self._litellm_call(request)
        if path.startswith(("/v1/", "/api/")) or path == "/v1":
            return self._not_found(request)
        if self.one_api:
            return self._dashboard()
        return self._json(404, {"detail": "Not Found"})

    async def _litellm_client_secret(self, request: web.Request) -> web.Response:
        """Step one: the upstream's key, minted with the proxy's own key, wrapped."""
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._json(401, {"error": "Authentication Error, No api key passed in."})
        body = await request.read()
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.upstream}/v1/realtime/client_secrets", data=body,
                headers={"Authorization": "Bearer sk-litellm-upstream-key",
                         "Content-Type": "application/json"}) as resp:
            answer = await resp.json(content_type=None)
            if resp.status >= 400 or not isinstance(answer, dict) or "value" not in answer:
                return self._json(resp.status, answer if isinstance(answer, dict) else {})
        token = f"litellm_rtc_{len(self._wrapped) + 1:04d}_{REQUEST_ID[:12]}"
        self._wrapped[token] = str(answer["value"])
        return self._json(200, {**answer, "value": token})

    async def _litellm_call(self, request: web.Request) -> web.Response:
        """Step two: the whole body as the SDP, to the upstream with the unwrapped key; no
        ``Location`` back."""
        auth = request.headers.get("Authorization", "")
        key = self._wrapped.get(auth.removeprefix("Bearer ").strip())
        if key is None:
            return self._json(401, {"error": "Invalid or expired token"})
        sdp = (await request.read()).decode("utf-8", errors="replace")
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.upstream}/v1/realtime/calls", data=sdp,
                headers={"Authorization": f"Bearer {key}",
                         "Content-Type": "application/sdp"}) as resp:
            text = await resp.text()
            return web.Response(status=resp.status, text=text,
                                content_type=resp.content_type or "application/sdp")

    def _dashboard(self) -> web.Response:
        return web.Response(text="<!doctype html><html><head><title>New API</title></head>"
                                 "<body><div id=root></div></body></html>",
                            content_type="text/html", headers=self._headers())

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._json(401, {"error": {"message": f"未提供令牌 (request id: {REQUEST_ID})",
                                              "type": "new_api_error"}})
        model = request.query.get("model", "")
        if self.personality == "no-channel" or not model:
            message = NO_CHANNEL if model else NO_CHANNEL.replace("gpt-realtime", "")
            return self._json(503, {"error": {"message": f"{message} (request id: {REQUEST_ID})",
                                              "type": "new_api_error"}})
        # pings answered by hand, so the pongs count as downstream data for the idle cut
        ws = web.WebSocketResponse(protocols=("realtime",), autoping=False)
        ws.headers.update(self._headers())
        await ws.prepare(request)
        if self.personality == "new-api-today":
            await ws.send_str(json.dumps(BETA_DISABLED))
            # gorilla's Close(): the TCP socket goes, no close frame (the client sees 1006)
            transport = request.transport
            if transport is not None:
                transport.abort()
            return ws
        transport = request.transport
        if transport is not None:
            self._open.add(transport)  # type: ignore[arg-type]
        try:
            await self._pipe(request, ws)
        finally:
            self._open.discard(transport)  # type: ignore[arg-type]
        return ws

    async def _pipe(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        """Relay both ways to the local server, as text (new-api re-frames everything)."""
        up_url = self.upstream.replace("http", "ws", 1) + request.path_qs
        headers = {"Authorization": request.headers["Authorization"]}
        beta = request.headers.get("OpenAI-Beta")
        if beta and not self.one_api:  # LiteLLM forwards it only when the client sent it
            headers["OpenAI-Beta"] = beta
        loop = asyncio.get_running_loop()
        last_down = loop.time()

        async def idle_cut(limit: float) -> None:
            while True:
                await asyncio.sleep(min(1.0, limit / 10))
                if loop.time() - last_down > limit:
                    self.idle_cuts += 1
                    if request.transport is not None:  # nginx: no close frame either
                        request.transport.abort()
                    return

        async with aiohttp.ClientSession() as http, \
                http.ws_connect(up_url, headers=headers, max_msg_size=0) as up:

            async def down() -> None:
                nonlocal last_down
                async for message in up:
                    if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                        data = message.data
                        text = data if isinstance(data, str) else data.decode()
                        if self.personality == "speaks-beta":
                            text = _as_beta(text)
                        await ws.send_str(text)
                        last_down = loop.time()
                        if self.personality == "bills-and-drops" and \
                                '"response.done"' in text[:80]:
                            break
                if request.transport is not None:  # no close frame: 1006, as new-api
                    request.transport.abort()

            to_client = asyncio.ensure_future(down())
            watch = [asyncio.ensure_future(idle_cut(self.idle_cut_s))] if self.idle_cut_s else []
            try:
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await up.send_str(message.data)
                    elif message.type == aiohttp.WSMsgType.PING:
                        await ws.pong(message.data)  # gorilla's default ping handler
                        self.pongs += 1
                        last_down = loop.time()
            finally:
                for task in (to_client, *watch):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        # close codes never pass through: drop the socket as new-api does
        if request.transport is not None:
            request.transport.abort()


def _as_beta(text: str) -> str:
    event = json.loads(text)
    event["type"] = GA_TO_BETA.get(event.get("type"), event.get("type"))
    return json.dumps(event)


@asynccontextmanager
async def gateway(upstream_base_url: str, personality: str,
                  idle_cut_s: float | None = None) -> AsyncIterator[GatewayRelay]:
    """A :class:`GatewayRelay` of ``personality`` in front of ``upstream_base_url``."""
    relay = GatewayRelay(upstream_base_url, personality, idle_cut_s)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()
