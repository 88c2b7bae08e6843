"""Test peers for the local server's GPT-Live side: a raw WebSocket client and an aiortc
client doing the documented JSON create, both recording every event the server sent.

What they share with the Realtime peers (tests/server/conftest.py) is
tests/server/peer_base.py's; the GPT-Live dialect's session opening is here."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCSessionDescription

from tests.server.peer_base import AiortcPeer, JsonWsPeer, closing_peer, ws_connected
from tests.speech import speech_pcm
from voicechat.server.app import LocalServer

AUTH = {"Authorization": "Bearer sk-test"}
START = {"type": "session.start", "session": {"model": "gpt-live-1"}}


def spoken(text: str, rate: int = 24000, lead_s: float = 0.3, tail_s: float = 1.5) -> np.ndarray:
    """A phrase with silence before and after (the mic streams silence too)."""
    return np.concatenate([np.zeros(int(lead_s * rate), np.int16), speech_pcm(text, rate),
                           np.zeros(int(tail_s * rate), np.int16)])


class LiveWsPeer(JsonWsPeer):
    """The raw WebSocket peer with the GPT-Live dialect's mic streaming."""

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


@asynccontextmanager
async def live_ws(srv: LocalServer, path: str = "/v1/live/sessions",
                  headers: dict[str, str] | None = None) -> AsyncIterator[LiveWsPeer]:
    async with ws_connected(srv, path, LiveWsPeer, headers=AUTH if headers is None else headers,
                            max_msg_size=0) as peer:
        yield peer


class LiveRtcPeer(AiortcPeer):
    """aiortc: mic track, ``oai-events`` channel, one JSON POST with the offer inside."""

    def __init__(self) -> None:
        super().__init__()
        self.session_id: str | None = None

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


def live_rtc() -> AbstractAsyncContextManager[LiveRtcPeer]:
    return closing_peer(LiveRtcPeer)
