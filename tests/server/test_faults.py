"""The fault suite: hostile and clumsy input must meet a bounded server that answers with errors.

Issue 14: a client that stops reading, floods of calls that never connect, input nested deeper
than anything real, malformed REST bodies, cross-site pages and forged log lines. Each test here
failed against the server before its fix.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from tests.helpers import local_server, until
from tests.server.conftest import mint_ga, rtc_peer
from voicechat.protocol.dialect import Dialect
from voicechat.rtc.loopback import use_loopback_ice
from voicechat.server.app import LocalServer
from voicechat.server.auth import StoreFull, TokenStore
from voicechat.server.call_limits import CallLimits

BIG_TEXT = "x" * (512 * 1024)


async def _receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=40)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return dict(json.loads(msg.data))


async def test_client_that_stops_reading_is_closed_with_an_error_not_buffered() -> None:
    limit = 2 * 1024 * 1024
    retrieves = 100  # ~50 MB of retrieved items: far more than the socket buffers hold
    async with (
        local_server(send_queue_bytes=limit) as srv,
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{srv.ws_url}/realtime", headers={"Authorization": "Bearer sk-test"}, max_msg_size=0
        ) as ws,
    ):
        assert (await _receive_json(ws))["type"] == "session.created"
        item = {
            "id": "item_big",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": BIG_TEXT}],
        }
        await ws.send_json({"type": "conversation.item.create", "item": item})
        while (await _receive_json(ws))["type"] != "conversation.item.done":
            pass
        # From here on the client sends but never reads.
        for _ in range(retrieves):
            await ws.send_json({"type": "conversation.item.retrieve", "item_id": "item_big"})
        await until(lambda: srv.counters["slow_readers_closed"] == 1, "the slow reader shed")
        retrieved = 0
        error: dict[str, Any] | None = None
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(msg.data)
            if event["type"] == "conversation.item.retrieved":
                retrieved += 1
            elif event["type"] == "error":
                error = event["error"]
        assert ws.close_code == 1008
        assert error is not None and error["code"] == "client_not_reading"
        assert retrieved < retrieves  # the rest was dropped, not queued without bound
        await until(lambda: srv.counters["send_queue_peak_bytes"], "the queue's peak reported")
        assert srv.counters["send_queue_peak_bytes"] <= 4 * limit  # HARD_FACTOR × the limit


async def test_a_burst_over_the_limit_to_a_reading_client_is_delivered() -> None:
    """One large item echoes as ``.added`` + ``.done`` at once: more than the limit, not a
    slow reader."""
    async with (
        local_server(send_queue_bytes=1024 * 1024) as srv,
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{srv.ws_url}/realtime", headers={"Authorization": "Bearer sk-test"}, max_msg_size=0
        ) as ws,
    ):
        assert (await _receive_json(ws))["type"] == "session.created"
        text = "y" * (768 * 1024)
        content = [{"type": "input_text", "text": text}]
        item = {"type": "message", "role": "user", "content": content}
        await ws.send_json({"type": "conversation.item.create", "item": item})
        seen: list[str] = []
        while (event := await _receive_json(ws))["type"] != "conversation.item.done":
            seen.append(event["type"])
        assert "error" not in seen and srv.counters["slow_readers_closed"] == 0


def deep_tools_session(levels: int) -> str:
    """A GA session whose tool ``parameters`` nest ``levels`` JSON objects deep, as JSON text
    (built as text: the stdlib encoder itself cannot write what the attacker sends)."""
    schema = '{"type":"object","properties":{"x":' * (levels // 2) + '{"type":"string"}'
    schema += "}}" * (levels // 2)
    return (
        '{"type":"realtime","tools":[{"type":"function","name":"f","description":"d",'
        f'"parameters":{schema}}}]}}'
    )


async def test_deeply_nested_session_update_is_an_error_event_and_the_session_lives(
    caplog: Any,
) -> None:
    async with (
        local_server() as srv,
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{srv.ws_url}/realtime", headers={"Authorization": "Bearer sk-test"}
        ) as ws,
    ):
        assert (await _receive_json(ws))["type"] == "session.created"
        session = deep_tools_session(500)
        await ws.send_str(f'{{"type":"session.update","event_id":"evt_deep","session":{session}}}')
        error = await _receive_json(ws)
        assert error["type"] == "error", error
        assert error["error"]["event_id"] == "evt_deep"
        assert "nested too deeply" in error["error"]["message"]
        # the session is still alive and a sane update works
        await ws.send_str(f'{{"type":"session.update","session":{deep_tools_session(6)}}}')
        assert (await _receive_json(ws))["type"] == "session.updated"
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


async def _post(
    http: aiohttp.ClientSession, url: str, data: bytes | str, ctype: str
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": "Bearer sk-test", "Content-Type": ctype}
    async with http.post(url, data=data, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_malformed_rest_bodies_are_openai_shaped_400s(caplog: Any) -> None:
    deep_json = "[" * 100_000 + "]" * 100_000
    deep_session = f'{{"session":{deep_tools_session(500)}}}'
    async with local_server() as srv, aiohttp.ClientSession() as http:
        secrets = f"{srv.base_url}/v1/realtime/client_secrets"
        calls = f"{srv.base_url}/v1/realtime/calls"
        cases = [
            (secrets, deep_session, "application/json"),
            (secrets, deep_json, "application/json"),
            (secrets, b'{"session": "\xff\xfe"}', "application/json"),
            (calls, b"v=0\r\nm=audio \xff\xfe\r\n", "application/sdp"),
            (
                calls,
                b"--x\r\nContent-Disposition: form-data; name=sdp\r\n\r\nv=0\r\n--x--\r\n",
                "multipart/form-data",
            ),  # no boundary parameter
        ]
        for url, body, ctype in cases:
            status, answer = await _post(http, url, body, ctype)
            assert status == 400, (url, ctype, status, answer)
            assert set(answer["error"]) >= {"message", "type", "param", "code"}
            assert answer["error"]["message"]
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


# --- WebRTC call floods ---------------------------------------------------------------------


async def silent_offer() -> str:
    """A real offer (audio + data channel) with every ICE candidate removed: a call answered
    for it can never start ICE, like the flood's offers from clients that never connect."""
    use_loopback_ice()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio")
    pc.createDataChannel("oai-events")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return "".join(line for line in sdp.splitlines(True) if not line.startswith("a=candidate"))


async def offer_call(srv: LocalServer, offer: str, key: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{srv.base_url}/v1/realtime/calls", data=offer, headers=headers) as resp,
    ):
        body = await resp.json() if resp.status != 201 else {}
        return resp.status, body


async def test_call_flood_is_capped_per_key_and_per_server() -> None:
    limits = CallLimits(max_pending=3, max_pending_per_key=2, connect_timeout_s=600)
    async with local_server(call_limits=limits) as srv:
        offer = await silent_offer()
        assert [(await offer_call(srv, offer, "sk-a"))[0] for _ in range(2)] == [201, 201]
        status, body = await offer_call(srv, offer, "sk-a")
        assert status == 429
        assert body["error"]["code"] == "rate_limit_exceeded"
        assert body["error"]["type"] == "requests"
        assert "for this key" in body["error"]["message"]
        assert (await offer_call(srv, offer, "sk-b"))[0] == 201  # another key still may
        status, body = await offer_call(srv, offer, "sk-c")
        assert status == 429 and "on this server" in body["error"]["message"]
        assert len(srv.calls) == 3


async def test_calls_whose_ice_never_starts_are_reaped_and_connected_ones_kept() -> None:
    limits = CallLimits(max_pending_per_key=2, connect_timeout_s=1.0)
    async with local_server(call_limits=limits) as srv, rtc_peer() as peer:
        assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-a") == 201
        await peer.log.wait_for("session.created")
        offer = await silent_offer()
        statuses = [(await offer_call(srv, offer, "sk-a"))[0] for _ in range(3)]
        assert statuses[0] == 201
        await until(lambda: len(srv.calls) == 1, lambda: f"reaping; calls: {len(srv.calls)}")
        assert (await offer_call(srv, offer, "sk-a"))[0] == 201  # room again
        assert peer.location is not None
        assert peer.location.rsplit("/", 1)[-1] in srv.calls  # the connected call lives on


# --- browsers, ephemeral keys, the token store -----------------------------------------------

EVIL = "https://evil.example"


async def ws_status(srv: LocalServer, headers: dict[str, str], query: str = "") -> int:
    """The HTTP status of a WebSocket handshake (101 when it was accepted)."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(f"{srv.ws_url}/realtime{query}", headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_a_web_page_needs_a_minted_ek_key_even_on_a_keyless_server() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        assert await ws_status(srv, {"Authorization": "Bearer sk-test"}) == 101  # native client
        page = {"Origin": EVIL, "Authorization": "Bearer anything"}
        assert await ws_status(srv, page) == 401
        offer = await silent_offer()
        async with http.post(
            f"{srv.base_url}/v1/realtime/calls",
            data=offer,
            headers={**page, "Content-Type": "application/sdp"},
        ) as resp:
            assert resp.status == 401
            assert "ek_" in (await resp.json())["error"]["message"]
        # minting stays closed to pages, even with the right key
        async with http.post(
            f"{srv.base_url}/v1/realtime/client_secrets", json={}, headers=page
        ) as resp:
            assert resp.status == 403
        token = await mint_ga(srv)
        assert await ws_status(srv, {"Origin": EVIL, "Authorization": f"Bearer {token}"}) == 101


async def test_allow_origin_trusts_a_page_like_a_native_client() -> None:
    async with local_server(allow_origins=[EVIL]) as srv, aiohttp.ClientSession() as http:
        assert await ws_status(srv, {"Origin": EVIL, "Authorization": "Bearer sk-x"}) == 101
        other = {"Origin": "https://other.example", "Authorization": "Bearer sk-x"}
        assert await ws_status(srv, other) == 401
        async with http.post(
            f"{srv.base_url}/v1/realtime/client_secrets",
            json={},
            headers={"Origin": EVIL, "Authorization": "Bearer sk-x"},
        ) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == EVIL


async def test_preflight_reflects_the_headers_a_browser_sdk_asks_for() -> None:
    asked = "authorization,content-type,x-openai-agents-sdk"
    async with (
        local_server() as srv,
        aiohttp.ClientSession() as http,
        http.options(
            f"{srv.base_url}/v1/realtime/calls",
            headers={
                "Origin": EVIL,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": asked,
            },
        ) as resp,
    ):
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Headers"] == asked


async def test_an_ek_key_touches_only_the_call_it_answered() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        mine, other = await mint_ga(srv), await mint_ga(srv)
        offer = await silent_offer()
        async with http.post(
            f"{srv.base_url}/v1/realtime/calls",
            data=offer,
            headers={"Authorization": f"Bearer {mine}", "Content-Type": "application/sdp"},
        ) as resp:
            assert resp.status == 201
            location = resp.headers["Location"]
        call_id = location.rsplit("/", 1)[-1]
        sideband = f"?call_id={call_id}"
        assert await ws_status(srv, {"Authorization": f"Bearer {other}"}, sideband) == 404
        hangup = f"{srv.base_url}{location}/hangup"
        async with http.post(hangup, headers={"Authorization": f"Bearer {other}"}) as resp:
            assert resp.status == 404
        assert call_id in srv.calls
        assert await ws_status(srv, {"Authorization": f"Bearer {mine}"}, sideband) == 101
        async with http.post(hangup, headers={"Authorization": f"Bearer {mine}"}) as resp:
            assert resp.status == 200
        await until(lambda: call_id not in srv.calls, "the hung-up call gone")


async def test_the_token_store_is_bounded() -> None:
    instructions = "i" * (1024 * 1024)
    async with local_server() as srv, aiohttp.ClientSession() as http:
        srv.tokens.max_stored_bytes = 4 * 1024 * 1024
        statuses: list[int] = []
        body: dict[str, Any] = {}
        for _ in range(8):
            async with http.post(
                f"{srv.base_url}/v1/realtime/client_secrets",
                json={"session": {"type": "realtime", "instructions": instructions}},
                headers={"Authorization": "Bearer sk-test"},
            ) as resp:
                statuses.append(resp.status)
                body = await resp.json()
        assert statuses[0] == 200 and statuses[-1] == 429, statuses
        assert body["error"]["code"] == "rate_limit_exceeded"
        assert srv.tokens.stored_bytes <= srv.tokens.max_stored_bytes


def test_token_store_caps_the_count_and_forgets_expired_tokens_first() -> None:
    now = [1000.0]
    store = TokenStore(clock=lambda: now[0], max_grants=2)
    store.mint({"type": "realtime"}, Dialect.GA, 10)
    store.mint({"type": "realtime"}, Dialect.GA, 10)
    with pytest.raises(StoreFull):
        store.mint({"type": "realtime"}, Dialect.GA, 10)
    now[0] += 11  # both expired: room again
    token, _ = store.mint({"type": "realtime"}, Dialect.GA, 10)
    assert store.check(token).ok


async def test_a_newline_in_the_model_cannot_forge_a_log_line(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="voicechat.server")
    forged = "x\n12:00:00 session sess_fake opened: websocket ga model=gpt-realtime"
    async with local_server() as srv:
        query = "?" + urllib.parse.urlencode({"model": forged})
        assert await ws_status(srv, {"Authorization": "Bearer sk-test"}, query) == 101
        await until(lambda: "closed after" in caplog.text, "the session's closing log line")
    opened = [r.getMessage() for r in caplog.records if "opened: websocket" in r.getMessage()]
    assert len(opened) == 1 and "\n" not in opened[0] and "\\x0a12:00:00" in opened[0]


# --- wrong paths and unhelpful messages -------------------------------------------------------


async def test_unknown_paths_are_404s_naming_the_served_paths() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        for method in ("GET", "POST", "OPTIONS"):
            async with http.request(method, f"{srv.base_url}/v2/realtime") as resp:
                assert resp.status == 404, method
                message = (await resp.json())["error"]["message"]
                assert "/v1/realtime/calls" in message and "/v2/realtime" in message
        async with http.get(f"{srv.base_url}/v1/realtime/calls") as resp:
            assert resp.status == 405
            assert "POST" in (await resp.json())["error"]["message"]


async def test_bad_sdp_offer_says_why_and_minting_without_a_key_says_what_to_do() -> None:
    async with local_server(api_key="sk-server") as srv, aiohttp.ClientSession() as http:
        async with http.post(
            f"{srv.base_url}/v1/realtime/calls",
            data="v=0\r\nm=audio\r\n",
            headers={"Authorization": "Bearer sk-server", "Content-Type": "application/sdp"},
        ) as resp:
            assert resp.status == 400
            message = (await resp.json())["error"]["message"]
            assert message.startswith("Could not use the SDP offer: ")
            assert len(message) > len("Could not use the SDP offer: ") + 5
        async with http.post(f"{srv.base_url}/v1/realtime/client_secrets", json={}) as resp:
            assert resp.status == 401
            message = (await resp.json())["error"]["message"]
            assert "didn't provide an API key" in message and "incorrect" not in message


# --- the server key off the command line ------------------------------------------------------


def _mint_status(base: str, key: str | None) -> int:
    request = urllib.request.Request(
        f"{base}/v1/realtime/client_secrets", data=b"{}", method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_reads_the_key_from_a_file_and_keeps_it_out_of_ps(tmp_path: Path) -> None:
    key = "sk-from-a-file-0123456789"
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    serve = [sys.executable, "-m", "voicechat.cli", "serve", "--port", "0", "--voice", "tone"]
    proc = subprocess.Popen(
        [*serve, "--api-key-file", str(key_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready.startswith("voicechat server ready: "), ready
        base = ready.split()[-1]
        assert _mint_status(base, None) == 401
        assert _mint_status(base, "sk-wrong") == 401
        assert _mint_status(base, key) == 200
        assert key not in Path(f"/proc/{proc.pid}/cmdline").read_text()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the environment is read too: a key there plus a file is one key too many
    env = {**os.environ, "VOICECHAT_SERVER_API_KEY": key}
    twice = subprocess.run(
        [*serve, "--api-key-file", str(key_file)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert twice.returncode == 2 and "give the key once" in twice.stderr
