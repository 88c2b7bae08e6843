"""The WebRTC transport: SDP over HTTP, the ``oai-events`` data channel, Opus audio both ways.

One :class:`RtcCall` per ``POST /v1/realtime/calls`` (GA; beta ``POST /v1/realtime?model=``;
Azure variants). Model audio goes out on a :class:`PacedAudioTrack` in real time — never on the
data channel — and the engine's :class:`TrackSink` turns that buffer into the
``output_audio_buffer.started/stopped/cleared`` lifecycle. Incoming Opus is decoded as it
arrives, in the event loop, to 16 kHz mono (what VAD and ASR want;
:mod:`voicechat.rtc.inline_receive` says why not in aiortc's decoder thread) and fed to the
engine in order by one task; should aiortc's internals have changed, its decoded track is
read instead and the engine resamples. The engine
starts when the client's data channel opens (any label: OpenAI uses ``oai-events``, an Azure
sample ``realtime-channel``), so ``session.created`` is always its first message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from voicechat.protocol.dialect import Dialect
from voicechat.rtc.inline_receive import DecodedInput, InlineOpusReceive, install_inline_receive
from voicechat.rtc.loopback import apply_loopback_wish
from voicechat.rtc.opus import SERVER_COMPLEXITY, OpusFrameEncoder
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.server.audio_out import TrackSink
from voicechat.server.bridge import EventBridge
from voicechat.server.engine import Engine
from voicechat.server.ids import new_id
from voicechat.server.options import EngineOptions
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")


class RtcCall:
    """One WebRTC session: peer connection, data channel, tracks and its engine."""

    def __init__(
        self,
        *,
        dialect: Dialect,
        azure: bool,
        session: dict[str, Any],
        kit: VoiceKit,
        options: EngineOptions,
        on_closed: Callable[[RtcCall], None],
    ) -> None:
        self.id = new_id("rtc")
        self.dialect = dialect
        self.bridge = EventBridge(dialect, azure=azure)
        apply_loopback_wish()  # the server's loopback ICE, kept until aioice loaded
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        # the synthetic voice at low encoder complexity: the dearest call of a talking session
        self.track = PacedAudioTrack(encoder=OpusFrameEncoder(SERVER_COMPLEXITY))
        self.channel: Any = None
        self._pending: list[str] = []
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        #: decoded input audio waiting for the engine (filled in the RTP receive path)
        self._audio_in = DecodedInput()
        self._consumer: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._inline: InlineOpusReceive | None = None
        self._starter: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._on_closed = on_closed
        self._closing = False
        #: set once the call is hung up: its sideband sockets close then, so a watcher sees
        #: the call end instead of a socket that stays open on nothing
        self.ended = asyncio.Event()
        self.started = False
        self.opened_at = time.monotonic()
        #: ICE and DTLS came up: the call is no longer pending (see ``server/call_limits.py``)
        self.connected = False
        #: who answered for it: the ``ek_`` token (which may touch only this call) and the key
        #: identity its caps count against; set by the call routes
        self.token: str | None = None
        self.owner = ""
        self.engine = Engine(
            emit=self._send,
            dialect=dialect,
            session=session,
            kit=kit,
            sink=TrackSink(self._send, self.track),
            options=options,
            on_expired=self._expired,
        )
        self.pc.addTrack(self.track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    # --- signalling ---------------------------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Apply the client's offer and return our answer SDP (candidates included, no trickle)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        # the client's audio m-line arrived with the offer; our track answers on that transceiver
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    # --- events out ---------------------------------------------------------------------------

    def _send(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(event)
        text = self.bridge.outgoing(event)
        if text is None:
            return
        if self.channel is not None and self.channel.readyState == "open":
            with contextlib.suppress(Exception):
                self.channel.send(text)
        elif not self._closing:
            self._pending.append(text)

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Sideband observers (``GET /v1/realtime?call_id=``) see every canonical event."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- peer callbacks -----------------------------------------------------------------------

    def _on_datachannel(self, channel: Any) -> None:
        if self.channel is not None:
            return  # one event channel per call; extra channels are ignored
        self.channel = channel
        channel.on("message", self._on_message)
        channel.on("close", self._on_state_closed)
        self._consumer = asyncio.ensure_future(self._consume())
        self._starter = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        await self.engine.start()
        self.started = True
        pending, self._pending = self._pending, []
        for text in pending:
            with contextlib.suppress(Exception):
                self.channel.send(text)

    def _on_message(self, message: Any) -> None:
        if isinstance(message, bytes):
            message = message.decode("utf-8", errors="replace")
        self._inbox.put_nowait(message)

    async def _consume(self) -> None:
        while True:
            text = await self._inbox.get()
            if text is None:
                return
            try:
                await self.bridge.incoming(text, self.engine)
            except Exception:
                log.exception("event handling failed")

    def _on_track(self, track: Any) -> None:
        if track.kind != "audio" or self._pump is not None:
            return

        self._inline = install_inline_receive(self.pc, track, self._audio_in.put)
        if self._inline is not None:
            self._pump = asyncio.ensure_future(self._feed_engine())
            return

        async def on_audio(pcm: np.ndarray, rate: int) -> None:
            if self.started:
                await self.engine.feed_audio(pcm, rate)

        self._pump = start_pump(track, on_audio)

    async def _feed_engine(self) -> None:
        """Hand decoded input to the engine in order; frames queued meanwhile go in one call."""
        while True:
            pcm, rate = await self._audio_in.take()
            if self.started:
                await self.engine.feed_audio(pcm, rate)

    def _on_state_closed(self) -> None:
        if self._closer is None:
            self._closer = asyncio.ensure_future(self.close())

    @property
    def closed(self) -> bool:
        return self._closing

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected":
            self.connected = True
        if self.pc.connectionState in ("failed", "closed") and self._closer is None:
            self._closer = asyncio.ensure_future(self.close())

    # --- teardown -----------------------------------------------------------------------------

    async def _expired(self) -> None:
        await asyncio.sleep(0.2)  # let the session_expired error leave on the data channel
        await self.close()

    async def close(self) -> None:
        """Hang up: stop the engine and every task, close the peer connection (idempotent)."""
        if self._closing:
            return
        self._closing = True
        await self.engine.close()
        self._inbox.put_nowait(None)
        await cancel_task(self._starter)
        await cancel_task(self._consumer)
        await cancel_task(self._pump)
        if self._inline is not None:
            self._inline.close()  # no more decoding for a queue nobody reads
        self.track.stop()
        with contextlib.suppress(Exception):
            await self.pc.close()
        self.ended.set()
        self._on_closed(self)
        log.info(
            "session %s closed after %.1fs (call %s): responses=%d commits=%d errors=%d",
            self.engine.session.get("id"),
            time.monotonic() - self.opened_at,
            self.id,
            self.engine.counters["responses"],
            self.engine.counters["commits"],
            self.engine.counters["errors"],
        )
