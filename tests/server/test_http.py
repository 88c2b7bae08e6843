"""REST endpoints, auth and ephemeral tokens, CORS, Azure paths, and the bind policy."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import local_server
from tests.server.conftest import mint_ga, rtc_peer, ws_peer
from voicechat.server.app import LocalServer, ServerConfig, ServerConfigError


async def test_refuses_non_loopback_without_key() -> None:
    with pytest.raises(ServerConfigError, match="--api-key"):
        await LocalServer(ServerConfig(host="0.0.0.0", voice="tone")).start()


async def test_client_secret_shape_and_expiry() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{srv.base_url}/v1/realtime/client_secrets",
            json={
                "expires_after": {"anchor": "created_at", "seconds": 30},
                "session": {"type": "realtime", "instructions": "Hi."},
            },
            headers={"Authorization": "Bearer sk-test"},
        )
        body = await resp.json()
        assert resp.status == 200
        assert body["value"].startswith("ek_")
        assert abs(body["expires_at"] - (time.time() + 30)) < 5
        assert body["session"]["instructions"] == "Hi."
        assert body["session"]["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}

        # the token works now ...
        async with ws_peer(srv, headers={"Authorization": f"Bearer {body['value']}"}) as peer:
            assert peer.log.events[0]["session"]["instructions"] == "Hi."
        # ... and not once it has expired, even though this demo server takes any key
        real_clock = srv.tokens.clock
        srv.tokens.clock = lambda: real_clock() + 31
        url = srv.base_url.replace("http", "ws", 1) + "/v1/realtime?model=gpt-realtime"
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(url, headers={"Authorization": f"Bearer {body['value']}"})
        assert info.value.status == 401
        resp = await http.post(
            f"{srv.base_url}/v1/realtime/calls",
            data="v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n",
            headers={"Authorization": f"Bearer {body['value']}", "Content-Type": "application/sdp"},
        )
        assert resp.status == 401
        text = await resp.text()
        assert body["value"] not in text and "expired" in text

        bad = await http.post(
            f"{srv.base_url}/v1/realtime/client_secrets",
            json={"expires_after": {"anchor": "created_at", "seconds": 5}},
        )
        assert bad.status == 400


async def test_beta_token_lives_one_minute() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        for path in ("/v1/realtime/sessions", "/openai/realtimeapi/sessions"):
            resp = await http.post(
                f"{srv.base_url}{path}", json={"model": "gpt-4o-realtime-preview", "voice": "verse"}
            )
            body = await resp.json()
            assert resp.status == 200
            assert abs(body["client_secret"]["expires_at"] - (time.time() + 60)) < 5
            assert body["voice"] == "verse" and body["object"] == "realtime.session"
        resp = await http.post(
            f"{srv.base_url}/v1/realtime/transcription_sessions",
            json={"input_audio_transcription": {"model": "whisper-1"}},
        )
        body = await resp.json()
        assert body["object"] == "realtime.transcription_session"
        assert body["input_audio_transcription"] == {"model": "whisper-1"}
        resp = await http.post(f"{srv.base_url}/v1/realtime/sessions", json={"temperature": "hot"})
        assert resp.status == 400
        err = (await resp.json())["error"]
        assert err["param"] == "session.temperature" and err["code"] == "invalid_type"


async def test_server_key_is_enforced() -> None:
    async with local_server(api_key="sk-right") as srv, aiohttp.ClientSession() as http:
        wrong = {"Authorization": "Bearer sk-wrong"}
        resp = await http.post(f"{srv.base_url}/v1/realtime/client_secrets", json={}, headers=wrong)
        assert resp.status == 401
        assert "sk-wrong" not in await resp.text()
        url = srv.base_url.replace("http", "ws", 1) + "/v1/realtime?model=gpt-realtime"
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(url, headers=wrong)
        assert info.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(url)  # no key at all
        resp = await http.post(
            f"{srv.base_url}/v1/realtime/client_secrets",
            json={},
            headers={"Authorization": "Bearer sk-right"},
        )
        token = (await resp.json())["value"]
        async with ws_peer(srv, headers={"api-key": token}) as peer:
            assert peer.log.events[0]["type"] == "session.created"
        async with ws_peer(srv, headers={"api-key": "sk-right"}) as peer:
            assert peer.log.events[0]["type"] == "session.created"


async def test_cors_preflight_for_browser_webrtc(server: LocalServer) -> None:
    origin = "http://page.example"
    async with aiohttp.ClientSession() as http:
        resp = await http.options(
            f"{server.base_url}/v1/realtime/calls",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        assert "authorization" in resp.headers["Access-Control-Allow-Headers"].lower()
        assert resp.headers["Access-Control-Expose-Headers"] == "Location"
        # a page may not mint keys cross-origin
        resp = await http.options(
            f"{server.base_url}/v1/realtime/client_secrets",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert "Access-Control-Allow-Origin" not in resp.headers
    token = await mint_ga(server)
    async with rtc_peer() as peer, aiohttp.ClientSession() as http:
        await peer.pc.setLocalDescription(await peer.pc.createOffer())
        resp = await http.post(
            f"{server.base_url}/v1/realtime/calls",
            data=peer.pc.localDescription.sdp,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/sdp",
                "Origin": origin,
            },
        )
        assert resp.status == 201
        assert resp.headers["Access-Control-Allow-Origin"] == origin
        assert resp.headers["Access-Control-Expose-Headers"] == "Location"
        assert resp.headers["Location"].startswith("/v1/realtime/calls/rtc_")


async def test_azure_webrtc_paths(server: LocalServer) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{server.base_url}/openai/v1/realtime/client_secrets",
            json={"session": {"type": "realtime", "model": "my-deployment"}},
            headers={"api-key": "azure-key"},
        )
        ga = await resp.json()
        resp = await http.post(
            f"{server.base_url}/openai/realtimeapi/sessions?api-version=2025-04-01-preview",
            json={"model": "my-deployment", "voice": "verse"},
            headers={"api-key": "azure-key"},
        )
        preview = await resp.json()
    async with rtc_peer() as peer:
        status = await peer.connect(f"{server.base_url}/openai/v1/realtime/calls", ga["value"])
        assert status == 201
        assert peer.location and peer.location.startswith("/openai/v1/realtime/calls/rtc_")
        created = await peer.log.wait_for("session.created")
        assert created["session"]["model"] == "my-deployment"
    async with rtc_peer() as peer:
        url = f"{server.base_url}/v1/realtimertc?model=my-deployment"
        assert await peer.connect(url, preview["client_secret"]["value"]) == 201
        created = await peer.log.wait_for("session.created")
        assert created["session"]["voice"] == "verse"  # beta (flat) session


async def test_sdp_endpoint_rejects_bad_requests(server: LocalServer) -> None:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{server.base_url}/v1/realtime/calls",
            json={"sdp": "x"},
            headers={"Authorization": "Bearer sk-test"},
        )
        assert resp.status == 400
        assert "application/sdp" in (await resp.json())["error"]["message"]
        resp = await http.post(
            f"{server.base_url}/v1/realtime/calls",
            data="hello",
            headers={"Authorization": "Bearer sk-test", "Content-Type": "application/sdp"},
        )
        assert resp.status == 400
        resp = await http.post(
            f"{server.base_url}/v1/realtime/calls/rtc_missing/hangup",
            headers={"Authorization": "Bearer sk-test"},
        )
        assert resp.status == 404


def test_serve_command_prints_url_and_stops_on_sigint(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicechat.cli", "serve", "--port", "0", "--voice", "tone"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready.startswith("voicechat server ready: http://127.0.0.1:")
        base = ready.split()[-1]
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as resp:
            health = json.load(resp)
        assert health["status"] == "ok"
        # what start-up made is frozen out of the collector's walks
        assert health["gc"]["frozen_objects"] > 10_000, health["gc"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    refused = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "--api-key" in refused.stderr
