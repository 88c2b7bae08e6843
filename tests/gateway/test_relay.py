"""The gateway relay itself (tests/gateway_relay.py) answers as the gateways it stands for."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

from tests.gateway_relay import BETA_DISABLED, NO_CHANNEL, gateway
from tests.helpers import local_server

KEY = {"Authorization": "Bearer sk-gateway-token"}


async def test_ws_only_relays_the_socket_and_404s_the_rest() -> None:
    async with local_server() as srv, gateway(srv.base_url, "ws-only") as gw, \
            aiohttp.ClientSession() as http:
        async with http.post(f"{gw.base_url}/v1/realtime/client_secrets", json={},
                             headers=KEY) as resp:
            assert resp.status == 404
            assert json.loads(await resp.text())["error"]["message"] == \
                "Invalid URL (POST /v1/realtime/client_secrets)"
            assert "X-Oneapi-Request-Id" in resp.headers
        async with http.post(f"{gw.base_url}/realtime", data="v=0") as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
        url = gw.base_url.replace("http", "ws") + "/v1/realtime?model=gpt-realtime"
        async with http.ws_connect(url, headers=KEY) as ws:
            first = json.loads((await ws.receive(timeout=30)).data)
            assert first["type"] == "session.created"
        assert gw.attempts == 1


async def test_new_api_today_sends_the_refusal_then_drops_the_socket() -> None:
    async with local_server() as srv, gateway(srv.base_url, "new-api-today") as gw, \
            aiohttp.ClientSession() as http:
        url = gw.base_url.replace("http", "ws") + "/v1/realtime?model=gpt-realtime"
        async with http.ws_connect(url, headers=KEY) as ws:
            assert json.loads((await ws.receive(timeout=30)).data) == BETA_DISABLED
            after = await ws.receive(timeout=30)
            assert after.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR,
                                  aiohttp.WSMsgType.CLOSE)
            assert ws.close_code in (None, 1006)


async def test_no_channel_is_a_chinese_503() -> None:
    upgrade = {**KEY, "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    async with local_server() as srv, gateway(srv.base_url, "no-channel") as gw, \
            aiohttp.ClientSession() as http, \
            http.get(f"{gw.base_url}/v1/realtime?model=gpt-realtime", headers=upgrade) as resp:
        assert resp.status == 503
        body = json.loads(await resp.text(encoding="utf-8"))
        assert body["error"]["type"] == "new_api_error"
        assert body["error"]["message"].startswith(NO_CHANNEL)


async def test_litellm_not_found() -> None:
    async with local_server() as srv, gateway(srv.base_url, "litellm") as gw, \
            aiohttp.ClientSession() as http, \
            http.post(f"{gw.base_url}/v1/realtime/sessions", json={}) as resp:
        assert resp.status == 404
        assert json.loads(await resp.text()) == {"detail": "Not Found"}


async def test_the_idle_cut_drops_a_quiet_socket_and_spares_one_that_pings() -> None:
    """nginx in front of the gateway: no data downstream for ``idle_cut_s`` drops the socket
    with no close frame; a client's pings draw pongs, which keep it (the keepalive tests rely
    on both halves)."""
    async with local_server() as srv, gateway(srv.base_url, "ws-only", idle_cut_s=3.0) as gw, \
            aiohttp.ClientSession() as http:
        url = gw.base_url.replace("http", "ws") + "/v1/realtime?model=gpt-realtime"
        async with http.ws_connect(url, headers=KEY, autoping=True) as quiet:
            assert json.loads((await quiet.receive(timeout=30)).data)["type"] == \
                "session.created"
            after = await quiet.receive(timeout=30)  # nothing is sent: the cut comes
            assert after.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR,
                                  aiohttp.WSMsgType.CLOSE)
        assert gw.idle_cuts == 1
        async with http.ws_connect(url, headers=KEY, heartbeat=1.0) as pinging:
            assert json.loads((await pinging.receive(timeout=30)).data)["type"] == \
                "session.created"
            # receive(timeout=) restarts its clock on each pong, so time the wait from outside
            with contextlib.suppress(TimeoutError):
                message = await asyncio.wait_for(pinging.receive(), 8.0)  # over twice the cut
                raise AssertionError(f"the pinging socket got {message!r}")
            assert not pinging.closed
        assert gw.idle_cuts == 1 and gw.pongs >= 3


async def test_litellm_wraps_the_key_and_takes_only_its_own_token_on_calls() -> None:
    async with local_server() as srv, gateway(srv.base_url, "litellm") as gw, \
            aiohttp.ClientSession() as http:
        async with http.post(f"{gw.base_url}/v1/realtime/client_secrets",
                             json={"session": {"type": "realtime", "model": "gpt-realtime"}},
                             headers=KEY) as resp:
            assert resp.status == 200
            token = (await resp.json())["value"]
        assert token.startswith("litellm_rtc_")
        sdp_headers = {"Content-Type": "application/sdp"}
        async with http.post(f"{gw.base_url}/v1/realtime/calls", data="v=0\r\n",
                             headers={**KEY, **sdp_headers}) as resp:  # the proxy key
            assert resp.status == 401
            assert await resp.json() == {"error": "Invalid or expired token"}
        for path in ("/v1/realtime/sessions", "/v1/realtime"):
            async with http.post(f"{gw.base_url}{path}", json={}, headers=KEY) as resp:
                assert resp.status == 404 and await resp.json() == {"detail": "Not Found"}
