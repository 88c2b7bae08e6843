"""Ephemeral keys and endpoints for the four targets, against a fake of OpenAI's REST API.

The fake stands in for api.openai.com / Azure only (a third party we cannot reach from tests);
it records what arrived so the tests can check paths, headers and bodies, and it can refuse keys.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from voicechat.config import Settings
from voicechat.transport.auth import (
    AuthError,
    ConnectError,
    Endpoint,
    Unauthorized,
    connect_with_fresh_key,
    endpoint_for,
    mint_ephemeral_key,
)

KEY = "sk-test-very-secret-key-0123456789"


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.refuse = False
        self.minted = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.requests.append({"path": request.path_qs, "headers": dict(request.headers),
                              "body": json.loads(body) if body else None})
        if self.refuse:
            return web.json_response({"error": {"message": "Incorrect API key provided"}},
                                     status=401)
        self.minted += 1
        secret = f"ek_fake_{self.minted}"
        if request.path.endswith("client_secrets"):
            return web.json_response({"value": secret, "expires_at": 1})
        return web.json_response({"client_secret": {"value": secret, "expires_at": 1}})


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeOpenAI, str]]:
    app_state = FakeOpenAI()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", app_state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield app_state, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def test_urls_for_each_target() -> None:
    ga = Endpoint("openai", "ga", "https://api.openai.com", "gpt-realtime")
    assert ga.secret_url() == "https://api.openai.com/v1/realtime/client_secrets"
    assert ga.sdp_url() == "https://api.openai.com/v1/realtime/calls"
    assert ga.ws_url() == "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    beta = Endpoint("openai", "beta", "https://api.openai.com", "gpt-4o-realtime-preview")
    assert beta.secret_url() == "https://api.openai.com/v1/realtime/sessions"
    assert beta.sdp_url() == "https://api.openai.com/v1/realtime?model=gpt-4o-realtime-preview"
    assert beta.key_headers()["OpenAI-Beta"] == "realtime=v1"
    az = Endpoint("azure", "ga", "https://r.openai.azure.com", "dep", api_key="k")
    assert az.secret_url() == "https://r.openai.azure.com/openai/v1/realtime/client_secrets"
    assert az.sdp_url() == "https://r.openai.azure.com/openai/v1/realtime/calls"
    assert az.ws_url() == "wss://r.openai.azure.com/openai/v1/realtime?model=dep"
    assert az.key_headers() == {"api-key": "k"}
    azp = Endpoint("azure", "beta", "https://r.openai.azure.com", "dep", api_key="k",
                   azure_webrtc_url="https://eastus2.realtimeapi-preview.ai.azure.com")
    assert azp.secret_url() == (
        "https://r.openai.azure.com/openai/realtimeapi/sessions?api-version=2025-04-01-preview"
    )
    assert azp.sdp_url() == "https://eastus2.realtimeapi-preview.ai.azure.com/v1/realtimertc?model=dep"
    assert azp.ws_url() == (
        "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep"
    )


def test_endpoint_from_settings_never_shows_the_key() -> None:
    settings = Settings(server="azure", api_key=KEY, azure_endpoint="https://r.openai.azure.com",
                        model="dep", dialect="beta", azure_region="swedencentral")
    endpoint = endpoint_for(settings)
    assert endpoint.sdp_url().startswith("https://swedencentral.realtimeapi-preview.ai.azure.com/")
    assert KEY not in repr(endpoint)
    custom = endpoint_for(Settings(server="http://127.0.0.1:9/v1", api_key=KEY))
    assert custom.base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("provider", "dialect", "path", "header"),
    [
        ("openai", "ga", "/v1/realtime/client_secrets", "Authorization"),
        ("openai", "beta", "/v1/realtime/sessions", "Authorization"),
        ("azure", "ga", "/openai/v1/realtime/client_secrets", "api-key"),
        ("azure", "beta", "/openai/realtimeapi/sessions?api-version=2025-04-01-preview", "api-key"),
    ],
)
async def test_mint_each_target(
    fake: tuple[FakeOpenAI, str], provider: str, dialect: str, path: str, header: str
) -> None:
    state, base = fake
    endpoint = Endpoint(provider, dialect, base, "my-model", api_key=KEY)
    async with aiohttp.ClientSession() as http:
        secret = await mint_ephemeral_key(http, endpoint)
    assert secret == "ek_fake_1"
    request = state.requests[0]
    assert request["path"] == path
    assert KEY in request["headers"][header]
    if dialect == "ga":
        assert request["body"]["session"] == {"type": "realtime", "model": "my-model"}
    else:
        assert request["body"]["model"] == "my-model"


async def test_refused_key_is_a_clear_error_without_the_key(fake: tuple[FakeOpenAI, str]) -> None:
    state, base = fake
    state.refuse = True
    async with aiohttp.ClientSession() as http:
        with pytest.raises(AuthError) as info:
            await mint_ephemeral_key(http, Endpoint("openai", "ga", base, "m", api_key=KEY))
    assert "OPENAI_API_KEY" in str(info.value)
    assert KEY not in str(info.value)


async def test_401_on_connect_mints_once_more_and_says_so() -> None:
    minted: list[str] = []
    notices: list[tuple[str, str]] = []
    tried: list[str] = []

    async def mint() -> str:
        minted.append(f"ek_{len(minted)}")
        return minted[-1]

    async def connect(key: str) -> str:
        tried.append(key)
        if key == "ek_0":
            raise Unauthorized("expired")
        return "answer-sdp"

    result = await connect_with_fresh_key(
        mint, connect, lambda lvl, msg: notices.append((lvl, msg))
    )
    assert result == "answer-sdp"
    assert tried == ["ek_0", "ek_1"]
    assert len(notices) == 1 and "401" in notices[0][1] and "retrying once" in notices[0][1]


async def test_two_401s_give_up_with_advice() -> None:
    async def mint() -> str:
        return "ek_secret_value"

    async def connect(key: str) -> str:
        raise Unauthorized("no")

    with pytest.raises(AuthError) as info:
        await connect_with_fresh_key(mint, connect, lambda lvl, msg: None)
    assert "ek_secret_value" not in str(info.value)
    assert "twice" in str(info.value)


async def test_unreachable_server_is_a_connect_error() -> None:
    endpoint = Endpoint("openai", "ga", "http://127.0.0.1:9", "m", api_key=KEY)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(ConnectError, match="cannot reach"):
            await mint_ephemeral_key(http, endpoint)


def test_transcription_sessions_are_asked_for_at_creation() -> None:
    ga = Endpoint("openai", "ga", "https://api.openai.com", "gpt-realtime", transcription=True)
    assert ga.secret_body() == {"session": {"type": "transcription"}}
    assert ga.ws_url().endswith("/v1/realtime?model=gpt-realtime&intent=transcription")
    beta = Endpoint("openai", "beta", "https://api.openai.com", "m", transcription=True)
    assert beta.secret_url().endswith("/v1/realtime/transcription_sessions")
    settings = Settings(server="openai", api_key=KEY, mode="transcribe")
    assert endpoint_for(settings).transcription
