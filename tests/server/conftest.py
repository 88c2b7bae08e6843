"""Peers for the local server tests; the server itself is tests/conftest.py's ``server``.

The peers are genuine protocol clients (aiohttp WebSocket, aiortc WebRTC) written for tests:
they send what a client would send and record everything the server says, so tests assert on
the event stream as it went over the wire.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from tests.helpers import EventLog
from voicechat.rtc.loopback import use_loopback_ice
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.server.app import LocalServer


class WsPeer:
    """A raw WebSocket client (aiohttp) speaking JSON events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.log = EventLog()
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.log.add(json.loads(msg.data))
        if not self.closed.done():
            self.closed.set_result((self.ws.close_code, str(self.ws.exception() or "")))

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(event))

    async def append_pcm(self, pcm24k: np.ndarray, chunk_ms: int = 100) -> None:
        step = 24 * chunk_ms
        for i in range(0, pcm24k.size, step):
            chunk = pcm24k[i : i + step].astype("<i2").tobytes()
            await self.send(
                {"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
            )

    async def close(self) -> None:
        await self.ws.close()
        await cancel_task(self._reader)


@asynccontextmanager
async def ws_peer(
    srv: LocalServer,
    path: str = "/v1/realtime?model=gpt-realtime",
    headers: dict[str, str] | None = None,
    protocols: tuple[str, ...] = (),
) -> AsyncIterator[WsPeer]:
    url = srv.base_url.replace("http", "ws", 1) + path
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(
            url,
            headers=headers if headers is not None else {"Authorization": "Bearer sk-test"},
            protocols=protocols,
            max_msg_size=0,
        )
        peer = WsPeer(ws)
        try:
            await peer.log.wait_for("session.created")
            yield peer
        finally:
            await peer.close()


@asynccontextmanager
async def ws_peer_raw(srv: LocalServer, path: str) -> AsyncIterator[WsPeer]:
    """A WebSocket peer that does not expect ``session.created`` (sideband sockets)."""
    url = srv.base_url.replace("http", "ws", 1) + path
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, headers={"Authorization": "Bearer sk-test"})
        peer = WsPeer(ws)
        try:
            yield peer
        finally:
            await peer.close()


class RtcPeer:
    """An aiortc client doing the documented GA flow: offer → POST → answer, ``oai-events``."""

    def __init__(self) -> None:
        use_loopback_ice()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = PacedAudioTrack()
        self.pc.addTrack(self.mic)
        self.channel = self.pc.createDataChannel("oai-events")
        self.log = EventLog()
        self.received: list[np.ndarray] = []  # remote audio, 48 kHz mono, one array per frame
        self.location: str | None = None
        self._pump: asyncio.Task[None] | None = None
        self.channel.on("message", lambda m: self.log.add(json.loads(m)))

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            def keep(pcm: np.ndarray, rate: int) -> None:
                self.received.append(pcm)

            self._pump = start_pump(track, keep)

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

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    def speak(self, pcm48k: np.ndarray) -> None:
        self.mic.push(pcm48k)

    def heard_samples(self, threshold: int = 500) -> int:
        """Samples of received audio louder than silence."""
        return sum(
            int(np.count_nonzero(np.abs(f.astype(np.int32)) > threshold)) for f in self.received
        )

    async def close(self) -> None:
        await cancel_task(self._pump)
        await self.pc.close()


@asynccontextmanager
async def rtc_peer() -> AsyncIterator[RtcPeer]:
    peer = RtcPeer()
    try:
        yield peer
    finally:
        await peer.close()


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
