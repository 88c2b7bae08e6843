"""GPT-Live over WebRTC: one JSON ``POST /v1/live/sessions`` with the SDP inside.

Body ``{"session": <startup config without audio.format>, "transport": {"type": "webrtc",
"sdp": "<offer>"}}``; reply **201** ``{"session": {"id"}, "transport": {"type": "webrtc",
"sdp": "<answer>"}}`` (no ``Location``, no SDP body). The POST starts the session: its
``session.started`` waits for the client's data channel (any label; OpenAI's example uses
``oai-events``) and goes out first there, and ``session.start`` on the channel is refused.
``client.data_channel`` limits what the channel may carry
(:mod:`~voicechat.server.live.permissions`); sidebands see everything.
Audio rides Opus both ways: the server's aiortc pieces (paced track, inline Opus decode at
16 kHz) as on the Realtime side. ``POST …/{id}/hangup`` ends the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, cast

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from voicechat.protocol.live.validation import validate_create_request
from voicechat.rtc.inline_receive import DecodedInput, InlineOpusReceive, install_inline_receive
from voicechat.rtc.loopback import apply_loopback_wish
from voicechat.rtc.opus import SERVER_COMPLEXITY, OpusFrameEncoder
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.server.auth import credential_from, key_identity
from voicechat.server.http_util import error_response, rate_limited
from voicechat.server.live.engine import LiveEngine
from voicechat.server.live.host import LiveHost
from voicechat.server.live.permissions import DataChannelPermissions
from voicechat.server.live.ports import TrackPort
from voicechat.server.live.ws import decode, refuse
from voicechat.server.nesting import too_deep

log = logging.getLogger("voicechat.server")


class LiveRtcCall:
    """One WebRTC session: peer connection, data channel, tracks and its engine."""

    def __init__(self, host: LiveHost) -> None:
        self._host = host
        apply_loopback_wish()  # the server's loopback ICE, kept until aioice loaded
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = PacedAudioTrack(encoder=OpusFrameEncoder(SERVER_COMPLEXITY))
        self.engine = LiveEngine(emit=self._send, kit=host.kit, port=TrackPort(self.track),
                                 webrtc=True, options=host.live_options(),
                                 on_closed=self._session_closed)
        cast(TrackPort, self.engine.speaker.port).reflect = self.engine.reflect_output
        self.id = self.engine.id
        self.channel: Any = None
        self.permissions = DataChannelPermissions()
        self._pending: list[str] = []
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._audio_in = DecodedInput()
        self._tasks: list[asyncio.Task[None]] = []
        self._inline: InlineOpusReceive | None = None
        self._closing = False
        self.connected = False
        self.owner = ""
        self.opened_at = time.monotonic()
        self.pc.addTrack(self.track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    @property
    def closed(self) -> bool:
        return self._closing

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    # --- events -------------------------------------------------------------------------------

    def _send(self, event: dict[str, Any]) -> None:
        if not self.permissions.allows_server(event):
            return
        text = json.dumps(event)
        if self.channel is not None and self.channel.readyState == "open":
            with contextlib.suppress(Exception):
                self.channel.send(text)
        elif not self._closing:
            self._pending.append(text)

    def _on_datachannel(self, channel: Any) -> None:
        if self.channel is not None:
            return
        self.channel = channel
        channel.on("message", self._on_message)
        channel.on("close", lambda: self._spawn(self.close()))
        pending, self._pending = self._pending, []
        for text in pending:
            with contextlib.suppress(Exception):
                channel.send(text)
        self._spawn(self._consume())

    def _on_message(self, message: Any) -> None:
        if isinstance(message, bytes):
            message = message.decode("utf-8", errors="replace")
        self._inbox.put_nowait(message)

    async def _consume(self) -> None:
        while (text := await self._inbox.get()) is not None:
            event = await decode(text, self.engine)
            if event is None:
                continue
            kind = event.get("type") if isinstance(event, dict) else None
            if isinstance(kind, str) and not self.permissions.allows_client(kind):
                cid = event.get("event_id")
                self.engine.error(self.permissions.refusal(kind),
                                  cid if isinstance(cid, str) else None)
                continue
            await self.engine.handle(event)

    def _session_closed(self, reason: str) -> None:
        async def later() -> None:
            await asyncio.sleep(0.5)  # session.closed leaves on the channel first
            await self.close()

        self._spawn(later())

    # --- audio in -----------------------------------------------------------------------------

    def _on_track(self, track: Any) -> None:
        if track.kind != "audio" or self._inline is not None:
            return
        self._inline = install_inline_receive(self.pc, track, self._audio_in.put)
        if self._inline is not None:
            self._spawn(self._feed_engine())
        else:
            self._tasks.append(start_pump(track, self.engine.feed_audio))

    async def _feed_engine(self) -> None:
        """Hand decoded input to the engine in order; frames queued meanwhile go in one call."""
        while True:
            pcm, rate = await self._audio_in.take()
            await self.engine.feed_audio(pcm, rate)

    # --- lifecycle ----------------------------------------------------------------------------

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected":
            self.connected = True
        if self.pc.connectionState in ("failed", "closed"):
            self._spawn(self.close())

    def _spawn(self, coroutine: Any) -> None:
        self._tasks.append(asyncio.ensure_future(coroutine))

    async def close(self) -> None:
        """Hang up (idempotent): the engine, every task, the peer connection."""
        if self._closing:
            return
        self._closing = True
        await self.engine.close()
        self._inbox.put_nowait(None)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                await cancel_task(task)
        if self._inline is not None:
            self._inline.close()
        self.track.stop()
        with contextlib.suppress(Exception):
            await self.pc.close()
        self._host.live_sessions.pop(self.id, None)
        self._host.live_rtc_calls.pop(self.id, None)
        log.info("live session %s closed after %.1fs (webrtc): turns=%d errors=%d", self.id,
                 time.monotonic() - self.opened_at, self.engine.counters["turns"],
                 self.engine.counters["errors"])


async def create_handler(request: web.Request, host: LiveHost) -> web.StreamResponse:
    """``POST /v1/live/sessions``: the WebRTC create (JSON in, 201 JSON out)."""
    refusal = refuse(request, host)
    if refusal is not None:
        return refusal
    owner = key_identity(credential_from(request.headers, request.query))
    # the caps read only closed/connected/owner, which a LiveRtcCall has like an RtcCall
    limit = host.call_limits.refusal(host.live_rtc_calls.values(), owner)
    if limit is not None:
        return rate_limited(limit, retry_after_s=host.call_limits.connect_timeout_s)
    if request.content_type != "application/json":
        return error_response(
            400, f"Unsupported content type {request.content_type!r}: GPT-Live creates a WebRTC "
            'session from one JSON body {"session": {…}, "transport": {"type": "webrtc", '
            '"sdp": "<offer>"}} (application/json), not an SDP body.')
    try:
        body = json.loads(await request.text())
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        return error_response(400, f"The body is not valid JSON ({exc}).")
    if too_deep(body):
        return error_response(400, "The body is nested too deeply.")
    problem = validate_create_request(body)
    if problem is not None:
        return error_response(400, problem.message, code=problem.code, param=problem.param)
    sdp = body["transport"]["sdp"]
    if "m=" not in sdp:
        return error_response(400, "transport.sdp is not an SDP offer (no media sections).",
                              param="transport.sdp")
    call = LiveRtcCall(host)
    call.owner = owner
    try:
        answer = await call.answer(sdp)
    except Exception as exc:
        await call.close()
        return error_response(400, f"Could not use the SDP offer: {exc or type(exc).__name__}.",
                              param="transport.sdp")
    call.permissions = DataChannelPermissions.from_config(body["session"].get("client"))
    start_problem = call.engine.start(body["session"])
    if start_problem is not None:  # validated above; kept for the rules beyond the shape
        await call.close()
        return error_response(400, start_problem.message, code=start_problem.code,
                              param=start_problem.param)
    if call.permissions.limited:
        call.engine.emit(call.permissions.notice())
    host.live_sessions[call.id] = call.engine
    host.live_rtc_calls[call.id] = call
    asyncio.get_running_loop().call_later(host.call_limits.connect_timeout_s, _reap, call)
    log.info("live session %s opened: webrtc model=%s peer=%s", call.id,
             body["session"].get("model"), request.remote)
    return web.json_response(
        {"session": {"id": call.id}, "transport": {"type": "webrtc", "sdp": answer}},
        status=201,
    )


async def hangup_handler(request: web.Request, host: LiveHost) -> web.StreamResponse:
    refusal = refuse(request, host)
    if refusal is not None:
        return refusal
    call = host.live_rtc_calls.get(request.match_info["session_id"])
    if call is None:
        return error_response(404, "No live WebRTC session with that id.", code="not_found",
                              param="session_id")
    await call.engine.finish("close_requested")
    return web.Response(status=200)


_reaping: set[asyncio.Task[None]] = set()


def _reap(call: LiveRtcCall) -> None:
    if call.connected or call.closed:
        return
    task = asyncio.ensure_future(call.close())
    _reaping.add(task)
    task.add_done_callback(_reaping.discard)
