"""xAI, Voice Live and Gemini Live sessions through the proxy to the real local server.

The app keeps its own provider's URL shape and credential (xAI's bearer key or browser
subprotocol, Voice Live's ``api-key`` and ``api-version``, Gemini's ``?key=`` on Google's own
path); the proxy relays it untouched, names the provider on the session, records it (Gemini's
frames as they came, blobs and handles out) with no key in the file, and its live doctor
reports what the offline doctor would.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
from openai import AsyncOpenAI

from tests.commands.test_gemini_headless import VOICECHAT, _config, _env
from tests.helpers import local_server, read_records, until
from tests.proxy.harness import running_proxy
from tests.proxy.test_proxy_sdk import text_turn
from tests.server.fake_chat import calls_reply, fake_chat
from voicechat.doctor.engine import diagnose
from voicechat.protocol.gemini import client_messages, names
from voicechat.protocol.providers import VOICE_LIVE_API_VERSION

KEY = "xai-proxy-test-0123456789SECRETKEY"
TOKEN = "proxysecrettoken0123456789abcdef"


async def test_xai_sdk_session_is_relayed_and_named(tmp_path: Path) -> None:
    record = tmp_path / "xai.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy:
        client = AsyncOpenAI(api_key=KEY, base_url=f"{proxy.base}/v1",
                             websocket_base_url=f"{proxy.ws_base}/v1")
        async with client.realtime.connect(model="grok-voice-latest") as conn:
            await conn.session.update(session={"type": "realtime",
                                               "output_modalities": ["text"]})
            app_saw = await text_turn(conn, "hello there")
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert app_saw[-1] == "response.done"
    assert opened.label.startswith("ws-1 xAI Grok Voice grok-voice-latest")
    assert "key in header" in opened.label and KEY not in opened.label
    first = proxy.seen.events("ws-1")[0]
    assert first == {"type": "local.proxy.session",
                     "detail": "/v1/realtime?model=grok-voice-latest"}
    assert KEY not in record.read_text()
    assert diagnose(record).provider == "xai"  # the file doctor reads the proxy's record


async def test_xai_browser_subprotocol_passes_through_untouched(tmp_path: Path) -> None:
    record = tmp_path / "xai-browser.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}/v1/realtime?model=grok-voice-latest"
        async with http.ws_connect(url, protocols=(f"xai-client-secret.{TOKEN}",)) as ws:
            assert ws.protocol == f"xai-client-secret.{TOKEN}"  # the upstream's choice, echoed
            first = await asyncio.wait_for(ws.receive_json(), 10)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert first["type"] in ("conversation.created", "session.created")
    assert "xAI Grok Voice" in opened.label and "key in subprotocol" in opened.label
    assert TOKEN not in opened.label and TOKEN not in record.read_text()


async def test_voice_live_session_is_relayed_with_its_query_and_header(tmp_path: Path) -> None:
    record = tmp_path / "voice-live.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy, \
            aiohttp.ClientSession() as http:
        url = (f"{proxy.ws_base}/voice-live/realtime?api-version={VOICE_LIVE_API_VERSION}"
               "&model=gpt-realtime")
        async with http.ws_connect(url, headers={"api-key": KEY}) as ws:
            created = await asyncio.wait_for(ws.receive_json(), 10)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert created["type"] == "session.created"
    assert "Azure AI Voice Live gpt-realtime" in opened.label and "key in header" in opened.label
    assert KEY not in record.read_text()
    assert diagnose(record).provider == "voice-live"


async def _frames_until(ws: aiohttp.ClientWebSocketResponse, key: str) -> list[dict[str, Any]]:
    """Frames (text or binary, as the service sends them) until one carrying ``key``."""
    frames: list[dict[str, Any]] = []
    while True:
        msg = await asyncio.wait_for(ws.receive(), 10)
        assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
        frames.append(json.loads(msg.data))
        if key in frames[-1]:
            return frames


async def test_gemini_session_is_relayed_recorded_and_diagnosed_live(tmp_path: Path) -> None:
    """An unanswered ``toolCall``: the app closes without a ``toolResponse``, and the proxy
    says ``gemini-tool-call-unanswered`` live, as ``voicechat doctor`` says it of the file."""
    record = tmp_path / "gemini.jsonl"
    async with fake_chat(calls_reply([("lookup", '{"q": "x"}')])) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv, \
            running_proxy(srv.base_url, record=record) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}{names.PATH}?key={KEY}"
        async with http.ws_connect(url) as ws:
            await ws.send_str(json.dumps(client_messages.setup(
                tools=[{"name": "lookup", "parameters": {"type": "object"}}])))
            await _frames_until(ws, names.SETUP_COMPLETE)
            await ws.send_str(json.dumps(client_messages.user_turn("Look it up.")))
            await _frames_until(ws, names.TOOL_CALL)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
        problems = await until(lambda: proxy.seen.problems(opened.session),
                               "the live doctor's finding")
    assert "Google Gemini Live" in opened.label and "key in query" in opened.label
    assert [p.rule_id for p in problems] == ["gemini-tool-call-unanswered"]
    text = record.read_text()
    assert KEY not in text
    frames = [r["event"] for r in read_records(record)]
    assert names.SETUP in frames[1] and "type" not in frames[1]  # the frame as it came
    assert any(names.TOOL_CALL in f for f in frames)
    report = diagnose(record)
    assert report.dialect == "gemini"
    assert [f.rule for f in report.findings] == ["gemini-tool-call-unanswered"]


async def test_gemini_header_key_and_binary_frames_pass_as_received(tmp_path: Path) -> None:
    """The SDK's ``x-goog-api-key`` header, and an app that sends its frames as binary: both
    reach the service as sent; the recorded setup has no key and no ``type``."""
    record = tmp_path / "gemini-header.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}{names.V1_PATH}"
        async with http.ws_connect(url, headers={"x-goog-api-key": KEY}) as ws:
            await ws.send_bytes(json.dumps(client_messages.setup()).encode())
            frames = await _frames_until(ws, names.SETUP_COMPLETE)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert names.SETUP_COMPLETE in frames[-1]
    assert "Google Gemini Live" in opened.label and "key in header" in opened.label
    assert names.SETUP in proxy.seen.events(opened.session, "out")[0]
    assert KEY not in record.read_text()


async def test_an_unreachable_upstream_never_says_the_query_key() -> None:
    async with running_proxy("http://127.0.0.1:9") as proxy, aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}{names.PATH}?key={KEY}"
        try:
            async with http.ws_connect(url):
                raise AssertionError("the proxy should refuse the upgrade")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 502
        said = await until(lambda: proxy.seen.events("proxy"), "the proxy's own line")
    assert "Google Gemini Live" in str(said) and KEY not in str(said)


async def test_a_gemini_refusal_close_is_a_live_finding(tmp_path: Path) -> None:
    """Gemini refuses by closing (legacy ``mediaChunks``: 1007): the proxy relays the code to
    the app, records the close as a ``gemini.close`` and the live doctor explains it."""
    record = tmp_path / "gemini-1007.jsonl"
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy, \
            aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{proxy.ws_base}{names.PATH}?key={KEY}") as ws:
            await ws.send_str(json.dumps(client_messages.setup()))
            await _frames_until(ws, names.SETUP_COMPLETE)
            await ws.send_str(json.dumps({"realtimeInput": {"mediaChunks": [
                {"mimeType": "audio/pcm;rate=16000", "data": "AAAA"}]}}))
            while (closing := await asyncio.wait_for(ws.receive(), 10)).type in (
                    aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                pass
        opened = await proxy.session_opened()
        closed = await proxy.closed(opened.session)
        problems = await until(lambda: proxy.seen.problems(opened.session),
                               lambda: f"a finding; saw {closing} {closed}",
                               timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1007
    assert closed.by == "upstream" and "1007" in closed.reason
    assert [p.rule_id for p in problems] == ["gemini-closed-with-error"]
    last = read_records(record)[-1]
    assert last["dir"] == "in" and last["event"]["type"] == "gemini.close"
    assert last["event"]["code"] == 1007 and KEY not in record.read_text()


async def test_voicechats_own_gemini_client_through_the_proxy(tmp_path: Path) -> None:
    """``voicechat --provider gemini --server <proxy>``: its key (GEMINI_API_KEY, sent on the
    URL) reaches the service, two typed turns come back, and the proxy's record reads as a
    clean Gemini log with no key in it."""
    record = tmp_path / "proxied.jsonl"
    env = _env(tmp_path) | {"GEMINI_API_KEY": KEY}
    async with local_server() as srv, running_proxy(srv.base_url, record=record) as proxy:
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", proxy.base, "--provider", "gemini",
            "--mic", "none", "--speaker", "none", "--config", str(_config(tmp_path)),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await asyncio.wait_for(proc.communicate(b"Hello there\n"), 60)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert proc.returncode == 0, (out[-2000:], err[-2000:])
    assert "assistant: You said: Hello there" in out.decode()
    assert "Google Gemini Live" in opened.label and KEY not in opened.label
    assert KEY not in record.read_text()
    report = diagnose(record)
    assert report.dialect == "gemini" and report.findings == []
