"""What the test peers of both server dialects share: Realtime (tests/server/conftest.py) and
GPT-Live (tests/server/live/peers.py).

The two dialects differ in how a client opens a session (an SDP POST or a form versus one JSON
POST with the offer inside; the WebSocket's URL, headers and message cap), not in what a client
is once connected: a WebSocket that logs every JSON event the server sends, or an aiortc peer
with a paced mic track, an ``oai-events`` channel and a pump that keeps the audio it hears.
That part lives here once, so a fix to how tests connect or record (say, the loopback ICE
set-up) reaches both dialects' tests. Each dialect's module keeps its own session opening.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection

from tests.helpers import EventLog
from voicechat.rtc.loopback import use_loopback_ice
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.server.app import LocalServer


class Closable(Protocol):
    async def close(self) -> None: ...


PeerT = TypeVar("PeerT", bound=Closable)


class JsonWsPeer:
    """A raw WebSocket client (aiohttp) that logs every JSON text message the server sends."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.log = EventLog()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.log.add(json.loads(msg.data))
        self._ended()

    def _ended(self) -> None:
        """Called once the server's side of the socket is over; a subclass may record how."""

    async def send(self, event: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(event))

    async def close(self) -> None:
        await self.ws.close()
        await cancel_task(self._reader)


@asynccontextmanager
async def ws_connected(
    srv: LocalServer,
    path: str,
    make_peer: Callable[[aiohttp.ClientWebSocketResponse], PeerT],
    **connect: Any,
) -> AsyncIterator[PeerT]:
    """A peer on a WebSocket to ``srv`` at ``path``, closed (and its HTTP session) on exit.

    ``connect`` goes to ``aiohttp.ClientSession.ws_connect`` as is (headers, protocols,
    ``max_msg_size``): those are the dialect's, so each caller spells out its own.
    """
    url = srv.base_url.replace("http", "ws", 1) + path
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, **connect)
        peer = make_peer(ws)
        try:
            yield peer
        finally:
            await peer.close()


class AiortcPeer:
    """An aiortc client before any signalling: a paced mic track, an ``oai-events`` data
    channel whose JSON messages go to ``log``, and the remote audio kept in ``received``."""

    def __init__(self) -> None:
        use_loopback_ice()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = PacedAudioTrack()
        self.pc.addTrack(self.mic)
        self.channel = self.pc.createDataChannel("oai-events")
        self.log = EventLog()
        self.received: list[np.ndarray] = []  # remote audio, 48 kHz mono, one array per frame
        self._pump: asyncio.Task[None] | None = None
        self.channel.on("message", lambda m: self.log.add(json.loads(m)))

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            def keep(pcm: np.ndarray, rate: int) -> None:
                self.received.append(pcm)

            self._pump = start_pump(track, keep)

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    def heard_samples(self, threshold: int = 500) -> int:
        """Samples of received audio louder than silence."""
        return sum(
            int(np.count_nonzero(np.abs(f.astype(np.int32)) > threshold)) for f in self.received
        )

    async def close(self) -> None:
        await cancel_task(self._pump)
        await self.pc.close()


@asynccontextmanager
async def closing_peer(make_peer: Callable[[], PeerT]) -> AsyncIterator[PeerT]:
    """A peer made on entry and closed on exit, whatever the test raised."""
    peer = make_peer()
    try:
        yield peer
    finally:
        await peer.close()
