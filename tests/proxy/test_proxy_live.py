"""GPT-Live through ``voicechat proxy`` to our real local server: the official SDK's live client
over WebSocket (only its base URL changed), and the WebRTC create, whose session the proxy then
watches through its sideband. Every event shows in the feed; the recordings read as GPT-Live
logs with the doctor."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp
from openai import AsyncOpenAI

from tests.helpers import local_server, until
from tests.proxy.harness import running_proxy
from tests.server.live.peers import live_rtc
from voicechat.doctor import diagnose
from voicechat.proxy.paths import is_live_create, is_live_path, is_rest_path

KEY = "sk-proxy-live-0123456789abcdefSECRET"
SILENCE = base64.b64encode(bytes(4800)).decode()  # 100 ms at 24 kHz


async def _next(conn: Any, kind: str) -> Any:
    async for event in conn:
        if event.type == kind:
            return event
    raise AssertionError(f"the connection ended before {kind}")


def test_live_paths_are_served() -> None:
    for path in ("/v1/live/sessions", "/openai/v1/live/sessions", "/openai/v1/live",
                 "/v1/live/sessions/live_abc/attach", "/v1/live/sessions/live_abc/fork"):
        assert is_live_path(path), path
    assert is_live_create("/v1/live/sessions") and is_rest_path("/v1/live/sessions")
    assert is_rest_path("/v1/live/sessions/live_abc/hangup")
    assert not is_live_path("/v1/live/sessions/live_abc/other")


async def test_sdk_live_session_is_relayed_recorded_and_reads_as_a_live_log(
        tmp_path: Path) -> None:
    record = tmp_path / "live.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy:
        client = AsyncOpenAI(api_key=KEY, base_url=f"{proxy.base}/v1",
                             websocket_base_url=f"{proxy.ws_base}/v1")
        async with client.live.connect() as conn:
            await conn.session.start(session={"model": "gpt-live-1"})
            started = await asyncio.wait_for(_next(conn, "session.started"), 10)

            async def mic() -> None:  # the mic streams for the whole session
                while True:
                    await conn.session.input_audio.append(audio=SILENCE)
                    await asyncio.sleep(0.1)

            streaming = asyncio.ensure_future(mic())
            try:
                await conn.session.commentary.append(content="Say hello.", delegation_id=None)
                await asyncio.wait_for(_next(conn, "session.commentary.appended"), 10)
            finally:
                streaming.cancel()
            await conn.session.close()
            closed = await asyncio.wait_for(_next(conn, "session.closed"), 10)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert started.session.id.startswith("live_") and closed.reason == "close_requested"
    assert "GPT-Live session" in opened.label and KEY not in opened.label
    out = proxy.seen.types(opened.session, "out")
    assert out[0] == "session.start"
    assert {"session.input_audio.append", "session.commentary.append", "session.close"} <= set(out)
    seen_in = proxy.seen.types(opened.session, "in")
    assert seen_in[0] == "session.started" and seen_in[-1] == "session.closed"
    assert not proxy.seen.problems(opened.session)
    report = diagnose(record)
    assert report.dialect == "live" and report.findings == []
    assert KEY not in record.read_text()


async def test_webrtc_create_is_relayed_and_its_session_watched_by_sideband(
        tmp_path: Path) -> None:
    record = tmp_path / "calls.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy, \
            live_rtc() as peer:
        proxied = type("Via", (), {"base_url": proxy.base})()
        status, reply = await peer.create(proxied, {"model": "gpt-live-1"})  # type: ignore[arg-type]
        assert status == 201
        session_id = reply["session"]["id"]
        watched = f"live {session_id}"
        await until(lambda: any(o.session == watched for o in proxy.seen.opened()),
                    "the proxy to attach to the session's sideband")
        await peer.log.wait_for("session.started")
        peer.send({"type": "session.commentary.append", "content": "Say hi.",
                   "delegation_id": None})
        await until(lambda: "session.commentary.appended" in proxy.seen.types(watched, "in"),
                    "the sideband to see the append's acknowledgement")
        peer.send({"type": "session.close"})
        await proxy.closed(watched)
        # a refused create: the proxy says so in the server's words and records the config
        async with live_rtc() as refused:
            status, reply = await refused.create(proxied, {  # type: ignore[arg-type]
                "model": "gpt-live-1", "temperature": 0.8})
        assert status == 400 and reply["error"]["code"] == "unknown_parameter"
        await until(lambda: any("refused" in str(e.get("message", ""))
                                for e in proxy.seen.events("proxy")), "the proxy's notice")
    first = proxy.seen.events(watched)[0]
    assert first["type"] == "local.proxy.live_create" and first["session_id"] == session_id
    assert "sdp" not in str(first)
    assert "session.closed" in proxy.seen.types(watched, "in")
    watched_log = tmp_path / f"calls-live-{session_id}.jsonl"
    report = diagnose(watched_log)
    assert report.dialect == "live" and report.findings == []
    # the proxy's own lines (their file's name depends on which session opened first)
    (proxy_log,) = [p for p in tmp_path.iterdir() if '"error"' in p.read_text()
                    and "local.proxy.live_create" in p.read_text()]
    assert {f.rule for f in diagnose(proxy_log).findings} == {"live-unknown-config-field"}


async def test_the_sideband_path_of_an_unknown_session_is_relayed_as_the_servers_404() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        url = f"{proxy.ws_base}/v1/live/sessions/live_nope/attach"
        async with aiohttp.ClientSession() as http:
            try:
                await http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"})
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 404
            else:
                raise AssertionError("the attach to an unknown session was accepted")
