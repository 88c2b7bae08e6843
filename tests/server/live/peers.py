"""Test peers for the local server's GPT-Live side: a raw WebSocket client and an aiortc
client doing the documented JSON create, both recording every event the server sent."""

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
from tests.speech import speech_pcm
from voicechat.rtc.loopback import use_loopback_ice
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.server.app import LocalServer

AUTH = {"Authorization": "Bearer sk-test"}
START = {"type": "session.start", "session": {"model": "gpt-live-1"}}


def spoken(text: str, rate: int = 24000, lead_s: float = 0.3, tail_s: float = 1.5) -> np.ndarray:
    """A phrase with silence before and after (the mic streams silence too)."""
    return np.concatenate([np.zeros(int(lead_s * rate), np.int16), speech_pcm(text, rate),
                           np.zeros(int(tail_s * rate), np.int16)])


class LiveWsPeer:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.log = EventLog()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.log.add(json.loads(msg.data))

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(event))

    async def stream(self, pcm24k: np.ndarray, chunk_ms: int = 100, speedup: float = 4.0) -> None:
        """Stream mic audio as appends, ``speedup`` × real time."""
        step = 24 * chunk_ms
        for i in range(0, pcm24k.size, step):
            chunk = pcm24k[i: i + step].astype("<i2").tobytes()
            await self.send({"type": "session.input_audio.append",
                             "audio": base64.b64encode(chunk).decode()})
            await asyncio.sleep(chunk_ms / 1000 / speedup)

    def text(self, kind: str) -> str:
        return "".join(e["delta"] for e in self.log.of(kind))

    async def close(self) -> None:
        await self.ws.close()
        await cancel_task(self._reader)


@asynccontextmanager
async def live_ws(srv: LocalServer, path: str = "/v1/live/sessions",
                  headers: dict[str, str] | None = None) -> AsyncIterator[LiveWsPeer]:
    url = srv.base_url.replace("http", "ws", 1) + path
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, headers=AUTH if headers is None else headers,
                                   max_msg_size=0)
        peer = LiveWsPeer(ws)
        try:
            yield peer
        finally:
            await peer.close()


class LiveRtcPeer:
    """aiortc: mic track, ``oai-events`` channel, one JSON POST with the offer inside."""

    def __init__(self) -> None:
        use_loopback_ice()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = PacedAudioTrack()
        self.pc.addTrack(self.mic)
        self.channel = self.pc.createDataChannel("oai-events")
        self.log = EventLog()
        self.received: list[np.ndarray] = []
        self.session_id: str | None = None
        self._pump: asyncio.Task[None] | None = None
        self.channel.on("message", lambda m: self.log.add(json.loads(m)))

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._pump = start_pump(track, lambda pcm, rate: self.received.append(pcm))

    async def create(self, srv: LocalServer, session: dict[str, Any]) -> tuple[int, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        body = {"session": session,
                "transport": {"type": "webrtc", "sdp": self.pc.localDescription.sdp}}
        async with aiohttp.ClientSession() as http:
            resp = await http.post(f"{srv.base_url}/v1/live/sessions", json=body, headers=AUTH)
            status, reply = resp.status, await resp.json()
        if status == 201:
            self.session_id = reply["session"]["id"]
            answer = RTCSessionDescription(sdp=reply["transport"]["sdp"], type="answer")
            await self.pc.setRemoteDescription(answer)
        return status, reply

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    def heard_samples(self, threshold: int = 500) -> int:
        return sum(int(np.count_nonzero(np.abs(f.astype(np.int32)) > threshold))
                   for f in self.received)

    async def close(self) -> None:
        await cancel_task(self._pump)
        await self.pc.close()


@asynccontextmanager
async def live_rtc() -> AsyncIterator[LiveRtcPeer]:
    peer = LiveRtcPeer()
    try:
        yield peer
    finally:
        await peer.close()
