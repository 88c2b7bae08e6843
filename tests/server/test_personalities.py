"""The local server's provider personalities (issue 40, item 1): xAI Grok Voice and Azure AI
Voice Live, checked over the wire with raw peers, and every xAI event against the official
``openai`` SDK's GA models once xAI's documented differences are undone (top-level ``voice`` and
``turn_detection``; everything else must be GA as the SDK declares it). Every Voice Live event
is checked against the official ``azure-ai-voicelive`` SDK's server event models
(:mod:`tests.server.voicelive_models`), and the SDK's own async client holds a typed turn."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers import local_server
from tests.server.conftest import WsPeer, ws_peer
from tests.server.peer_base import ws_connected
from tests.server.sdk_models import problems
from tests.server.test_sdk_models import USER_TEXT, spoken
from tests.server.voicelive_models import vl_problems
from tests.speech import TEST_PHRASES
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.providers import (
    INPUT_DELTA,
    PROFILES,
    XAI_INPUT_UPDATED,
    InboundAliases,
)

XAI = PROFILES["xai"]
XAI_PATH = "/v1/realtime?model=grok-voice-latest"
VOICE_LIVE_PATH = "/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime"
XAI_UPDATE = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "voice": "Ara",
        "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
        "audio": {"input": {"transcription": {"model": "grok-transcribe"}}},
    },
}


def as_ga(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """xAI's events with its documented differences undone by the client's own edge (the
    hoisted session fields, the cumulative transcript), which must leave pure GA."""
    edge = InboundAliases(XAI)
    return [e for e in map(edge.canonical, events) if e is not None]


async def test_xai_events_are_ga_but_for_its_differences(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("Hello from Grok.\nA spoken answer.\n", encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}", asr_phrases=TEST_PHRASES) as srv,
        ws_peer(srv, XAI_PATH) as peer,
    ):
        log = peer.log
        await peer.send(XAI_UPDATE)
        updated = await log.wait_for("session.updated")
        await peer.send(USER_TEXT)
        await peer.send({"type": "response.create"})
        await log.wait_for("response.done")
        n = len(log.events)
        await peer.append_pcm(spoken(TEST_PHRASES[0], 24000))
        await log.wait_for("conversation.item.input_audio_transcription.completed", after=n)
        await log.wait_for("response.done", after=n)
        await peer.send({"type": "response.cancel", "event_id": "evt_late"})
        refusal = await log.wait_for("error")
        events = list(log.events)
    assert [e["type"] for e in events[:2]] == ["conversation.created", "session.created"]
    # the profile's session cap (30 min), under the server's own hour
    assert 1700 < events[1]["session"]["expires_at"] - time.time() <= 1800
    for e in events:
        if e["type"] in ("session.created", "session.updated"):
            session = e["session"]
            assert "voice" in session and "turn_detection" in session, e["type"]
            assert "voice" not in session.get("audio", {}).get("output", {})
    assert updated["session"]["voice"] == "Ara"
    assert updated["session"]["turn_detection"]["silence_duration_ms"] == 500
    dones = [e for e in events if e["type"] == "response.done"]
    assert len(dones) == 2 and all(d["response"]["usage"] is None for d in dones)
    assert "no active response" in refusal["error"]["message"]
    assert XAI_INPUT_UPDATED in {e["type"] for e in events}
    assert INPUT_DELTA not in {e["type"] for e in events}
    found = [p for e in as_ga(events) for p in problems(e, Dialect.GA)]
    assert not found, "\n".join(found[:20])


async def test_xai_without_session_created_starts_with_the_conversation() -> None:
    async with (
        local_server(xai_session_created=False) as srv,
        ws_connected(srv, XAI_PATH, WsPeer, headers={"Authorization": "Bearer k"}) as peer,
    ):
        await peer.log.wait_for("conversation.created")
        await peer.send(XAI_UPDATE)
        await peer.log.wait_for("session.updated")
        kinds = [e["type"] for e in peer.log.events]
    assert "session.created" not in kinds
    assert kinds[0] == "conversation.created"


async def test_xai_ephemeral_token_in_the_browser_subprotocol() -> None:
    async with local_server(api_key="server-key") as srv, aiohttp.ClientSession() as http:
        url = f"{srv.base_url}/v1/realtime/client_secrets"
        key = {"Authorization": "Bearer server-key"}
        body = {"expires_after": {"seconds": 300}, "session": {"model": "grok-voice-latest"}}
        async with http.post(url, json=body, headers=key) as resp:
            assert resp.status == 200
            minted = await resp.json()
        assert set(minted) == {"value", "expires_at"}
        too_long = {**body, "expires_after": {"seconds": 3601}}
        async with http.post(url, json=too_long, headers=key) as resp:
            assert resp.status == 400
            assert "3600" in (await resp.json())["error"]["message"]
        token = minted["value"]
        async with ws_connected(srv, XAI_PATH, WsPeer, headers={},
                                protocols=(f"xai-client-secret.{token}",)) as peer:
            await peer.log.wait_for("session.created")
            assert peer.ws.protocol == f"xai-client-secret.{token}"  # a browser needs one
        # a wrong token in the same place is refused at the handshake
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(srv.base_url + XAI_PATH, protocols=("xai-client-secret.wrong",))
        assert refused.value.status == 401


async def test_xai_has_no_webrtc_routes() -> None:
    async with local_server() as srv, aiohttp.ClientSession() as http:
        sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        headers = {"Authorization": "Bearer k", "Content-Type": "application/sdp"}
        async with http.post(f"{srv.base_url}/v1/realtime?model=grok-voice-latest", data=sdp,
                             headers=headers) as resp:
            assert resp.status == 404
            assert "no WebRTC" in (await resp.json())["error"]["message"]


async def test_voice_live_speaks_beta_and_takes_azure_fields() -> None:
    async with (
        local_server() as srv,
        ws_peer(srv, VOICE_LIVE_PATH, headers={"api-key": "k"}) as peer,
    ):
        await peer.send({"type": "session.update", "session": {
            "turn_detection": {"type": "azure_semantic_vad", "remove_filler_words": True},
            "input_audio_echo_cancellation": {"type": "server_echo_cancellation"},
            "voice": "alloy"}})
        await peer.log.wait_for("session.updated")
        await peer.send(USER_TEXT)
        await peer.send({"type": "response.create"})
        await peer.log.wait_for("response.done")
        events = list(peer.log.events)
    kinds = [e["type"] for e in events]
    # the beta WebSocket's first event; Voice Live has no conversation.created (its SDK neither)
    assert kinds[0] == "session.created" and "conversation.created" not in kinds
    assert "error" not in kinds
    assert "response.audio_transcript.done" in kinds  # beta names
    found = [p for e in events for p in problems(e, Dialect.BETA)]
    assert not found, "\n".join(found[:20])


async def test_voice_live_events_parse_with_the_azure_sdk(tmp_path: Path) -> None:
    """A typed turn, a spoken turn and two errors: every event the Voice Live personality sends
    is one the ``azure-ai-voicelive`` SDK has a class for, and matches that class's fields."""
    script = tmp_path / "script.txt"
    script.write_text("Hello from Voice Live.\nA spoken answer.\n", encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}", asr_phrases=TEST_PHRASES) as srv,
        ws_peer(srv, VOICE_LIVE_PATH, headers={"api-key": "k"}) as peer,
    ):
        log = peer.log
        await peer.send({"type": "session.update", "session": {
            "turn_detection": {"type": "azure_semantic_vad"},
            "input_audio_transcription": {"model": "whisper-1"},
            "voice": {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard"}}})
        await log.wait_for("session.updated")
        await peer.send(USER_TEXT)
        await peer.send({"type": "response.create"})
        await log.wait_for("response.done")
        n = len(log.events)
        await peer.append_pcm(spoken(TEST_PHRASES[0], 24000))
        heard = await log.wait_for("conversation.item.input_audio_transcription.completed",
                                   after=n)
        await log.wait_for("response.done", after=n)
        n = len(log.events)
        await peer.send({"type": "response.cancel"})
        await log.wait_for("error", after=n)
        await peer.send({"type": "conversation.item.create", "item": {"type": "bogus"}})
        await log.wait_for("error", after=n + 1)
        events = list(log.events)
    kinds = [e["type"] for e in events]
    assert kinds.count("response.done") == 2 and kinds.count("error") == 2
    assert heard["transcript"].rstrip(".").lower() == TEST_PHRASES[0].rstrip(".").lower()
    assert {"rate_limits.updated", "conversation.created"}.isdisjoint(kinds)
    found = [p for e in events for p in vl_problems(e)]
    assert not found, "\n".join(found[:20])


async def test_the_azure_sdk_client_holds_a_typed_turn() -> None:
    """The SDK's own async client (``azure.ai.voicelive.aio.connect``) against the personality:
    an ``http://`` endpoint becomes ``ws://…/voice-live/realtime?api-version=…&model=…`` with
    the ``api-key`` header, and every event it receives is typed by its own ``recv``."""
    from azure.ai.voicelive import models
    from azure.ai.voicelive.aio import connect
    from azure.core.credentials import AzureKeyCredential

    received: list[Any] = []
    async with local_server() as srv, connect(
        endpoint=srv.base_url, credential=AzureKeyCredential("k"), model="gpt-realtime",
        api_version="2026-04-10",
    ) as conn:
        await conn.send({"type": "session.update", "session": {"modalities": ["text"]}})
        await conn.send(USER_TEXT)
        await conn.send({"type": "response.create"})
        async with asyncio.timeout(20):
            while not received or received[-1].type != "response.done":
                received.append(await conn.recv())
    assert isinstance(received[0], models.ServerEventSessionCreated)
    assert all(type(e) is not models.ServerEvent for e in received), [e.type for e in received]
    done = received[-1]
    assert isinstance(done, models.ServerEventResponseDone)
    assert done.response.status == "completed"
    texts = [e for e in received if isinstance(e, models.ServerEventResponseTextDone)]
    assert texts and texts[0].text
    found = [p for e in received for p in vl_problems(e.as_dict())]
    assert not found, "\n".join(found[:20])
