"""Peers for the local server tests; the server itself is tests/conftest.py's ``server``.

The peers are genuine protocol clients (aiohttp WebSocket, aiortc WebRTC) written for tests:
they send what a client would send and record everything the server says, so tests assert on
the event stream as it went over the wire. What they share with the GPT-Live peers
(tests/server/live/peers.py) is tests/server/peer_base.py's; the Realtime dialect's session
opening (SDP or form POST, ``session.created``) is here.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCSessionDescription

from tests.server.peer_base import AiortcPeer, JsonWsPeer, closing_peer, ws_connected
from voicechat.server.app import LocalServer


class WsPeer(JsonWsPeer):
    """A raw WebSocket client (aiohttp) speaking JSON events; ``closed`` resolves to the
    close code and error once the server's side ends (tests of server-initiated closes)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )
        super().__init__(ws)

    def _ended(self) -> None:
        if not self.closed.done():
            self.closed.set_result((self.ws.close_code, str(self.ws.exception() or "")))

    async def append_pcm(self, pcm24k: np.ndarray, chunk_ms: int = 100) -> None:
        step = 24 * chunk_ms
        for i in range(0, pcm24k.size, step):
            chunk = pcm24k[i : i + step].astype("<i2").tobytes()
            await self.send(
                {"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
            )


@asynccontextmanager
async def ws_peer(
    srv: LocalServer,
    path: str = "/v1/realtime?model=gpt-realtime",
    headers: dict[str, str] | None = None,
    protocols: tuple[str, ...] = (),
) -> AsyncIterator[WsPeer]:
    async with ws_connected(
        srv,
        path,
        WsPeer,
        headers=headers if headers is not None else {"Authorization": "Bearer sk-test"},
        protocols=protocols,
        max_msg_size=0,
    ) as peer:
        await peer.log.wait_for("session.created")
        yield peer


@asynccontextmanager
async def ws_peer_raw(srv: LocalServer, path: str) -> AsyncIterator[WsPeer]:
    """A WebSocket peer that does not expect ``session.created`` (sideband sockets)."""
    async with ws_connected(srv, path, WsPeer, headers={"Authorization": "Bearer sk-test"}) as peer:
        yield peer


class RtcPeer(AiortcPeer):
    """An aiortc client doing the documented GA flow: offer → POST → answer, ``oai-events``."""

    def __init__(self) -> None:
        super().__init__()
        self.location: str | None = None

    async def connect(self, url: str, token: str, *, session: dict[str, Any] | None = None) -> int:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription.sdp
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http:
            if session is None:
                headers["Content-Type"] = "application/sdp"
                resp = await http.post(url, data=offer, headers=headers)
            else:
                form = aiohttp.FormData()
                form.add_field("sdp", offer, content_type="application/sdp")
                form.add_field("session", json.dumps(session), content_type="application/json")
                resp = await http.post(url, data=form, headers=headers)
            answer = await resp.text()
            self.location = resp.headers.get("Location")
            status = resp.status
        if status == 201:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        return status

    def speak(self, pcm48k: np.ndarray) -> None:
        self.mic.push(pcm48k)


def rtc_peer() -> AbstractAsyncContextManager[RtcPeer]:
    return closing_peer(RtcPeer)


async def mint_ga(srv: LocalServer, session: dict[str, Any] | None = None, **body: Any) -> str:
    payload: dict[str, Any] = {"session": session or {"type": "realtime"}, **body}
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{srv.base_url}/v1/realtime/client_secrets",
            json=payload,
            headers={"Authorization": "Bearer sk-test"},
        )
        assert resp.status == 200, await resp.text()
        data = await resp.json()
    value: str = data["value"]
    return value
