"""WebRTC with aiortc: SDP over HTTP, the ``oai-events`` data channel, audio on RTP both ways.

The flow is the documented browser one: mint an ephemeral key, create the offer (aiortc waits for
ICE gathering, so the offer carries its candidates and no trickle is needed), POST it as
``application/sdp``, apply the answer, wait for the data channel to open. The microphone goes out
on :class:`~voicechat.rtc.tracks.PacedAudioTrack` (Opus encoded in the track, each frame sent as
it arrives, never more than a frame ahead of real time, silence while muted); the model's track
goes through our adaptive jitter buffer (:mod:`voicechat.rtc.aiortc_jitter`, in place of
aiortc's fixed 80 ms one), is pumped for its whole life (aiortc buffers it without bound
otherwise) and handed to the runtime as 48 kHz mono.

Connection loss shows up four ways — the data channel closes, ICE/DTLS fails, the peer
connection closes, or the server goes silent — and all become ``on_state("closed" | "failed",
why)`` exactly once. Silence is the one that matters: a server that dies without a word (killed,
a laptop lid, a dropped route) closes nothing, and ICE's consent checks notice only after ~30 s.
The server sends RTP for the whole call (its paced track sends silence between answers, as
the real service does) and events on the data channel, so nothing at all from it for
``dead_after`` seconds means the link is dead (:class:`Liveness`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from voicechat.rtc import dsp
from voicechat.rtc.aiortc_jitter import AdaptiveAudioReceive, install_jitter_buffer
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump
from voicechat.transport.auth import (
    ConnectError,
    Endpoint,
    SignallingMissing,
    Unauthorized,
    answered_within,
    connect_with_fresh_key,
    mint_ephemeral_key,
    reason,
    redact_url,
    server_message,
    signalling_missing,
)
from voicechat.transport.base import Int16Array, TransportCallbacks
from voicechat.transport.liveness import Liveness


class WebRtcTransport:
    kind = "webrtc"

    def __init__(
        self,
        endpoint: Endpoint,
        callbacks: TransportCallbacks,
        *,
        loopback: bool = False,
        channel_label: str = "oai-events",
        dead_after: float | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.callbacks = callbacks
        self.loopback = loopback
        self.channel_label = channel_label
        self.pc: RTCPeerConnection | None = None
        # a live source: each 20 ms mic frame leaves as it arrives (at most one frame ahead of
        # real time) instead of waiting for the track's own tick (issue 15: p95 29 ms -> ~frame)
        self.mic_track = PacedAudioTrack(early_ms=20)
        self.call_id: str | None = None
        self._channel: Any = None
        self._pump: asyncio.Task[None] | None = None
        self._ended = False
        self._closing = False
        self.remote_frames = 0
        self.jitter: AdaptiveAudioReceive | None = None  # the adaptive receive buffer
        self.liveness = Liveness(dead_after, self._silent) if dead_after else None

    async def connect(self) -> None:
        if self.loopback:
            from voicechat.rtc.loopback import use_loopback_ice

            use_loopback_ice()
        self.callbacks.on_state("connecting", f"WebRTC to {redact_url(self.offer_url())}")
        config = RTCConfiguration(iceServers=[]) if self.loopback else None
        pc = RTCPeerConnection(configuration=config)
        self.pc = pc
        pc.addTrack(self.mic_track)
        channel = pc.createDataChannel(self.channel_label)
        self._channel = channel
        opened = asyncio.get_running_loop().create_future()

        @channel.on("open")
        def _on_open() -> None:
            if not opened.done():
                opened.set_result(True)

        @channel.on("message")
        def _on_message(message: Any) -> None:
            if self.liveness is not None:
                self.liveness.heard()
            if isinstance(message, bytes):
                message = message.decode("utf-8", errors="replace")
            self.callbacks.on_event(message)

        @channel.on("close")
        def _on_close() -> None:
            self._end("closed", "data channel closed")

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self.jitter = install_jitter_buffer(pc, track)
                self._pump = start_pump(track, self._on_remote_audio)

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            if pc.connectionState == "failed":
                self._end("failed", "ICE/DTLS connection failed")
            elif pc.connectionState == "closed":
                self._end("closed", "peer connection closed")

        await pc.setLocalDescription(await pc.createOffer())
        offer_sdp = pc.localDescription.sdp
        answer = await self.exchange_sdp(offer_sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        wait = self.endpoint.connect_timeout
        try:
            await asyncio.wait_for(opened, wait)
        except TimeoutError as exc:
            await self.close()
            raise ConnectError(
                f"the WebRTC data channel did not open within {wait:g} s "
                "(ICE could not connect; a firewall blocking UDP? try --transport websocket)"
            ) from exc
        self.callbacks.on_state("connected", f"WebRTC call {self.call_id or ''}".strip())
        if self.liveness is not None:
            self.liveness.start()

    def offer_url(self) -> str:
        """Where the offer goes (said in the connecting state)."""
        return self.endpoint.sdp_url()

    async def exchange_sdp(self, offer_sdp: str) -> str:
        """The offer out, the answer back: Realtime's way (an ephemeral key, then the SDP as
        ``application/sdp``). Another API family overrides this one step."""
        async with aiohttp.ClientSession() as http:
            answer: str = await connect_with_fresh_key(
                lambda: mint_ephemeral_key(http, self.endpoint),
                lambda key: self._post_offer(http, offer_sdp, key),
                self.callbacks.on_notice,
            )
        return answer

    def _silent(self, seconds: float) -> None:
        self._end("failed", f"the server sent nothing (no audio, no events) for {seconds:.1f} s: "
                            "the link is dead")

    async def _post_offer(self, http: aiohttp.ClientSession, sdp: str, key: str) -> str:
        url = self.endpoint.sdp_url()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"}
        try:
            async with (
                answered_within(url, self.endpoint.connect_timeout, "sending the SDP offer"),
                http.post(url, data=sdp, headers=headers) as resp,
            ):
                text = await resp.text()
                missing = signalling_missing(resp.status, resp.content_type, text, url,
                                             "the SDP offer")
                if missing is None and resp.status < 400 and not text.lstrip().startswith("v="):
                    missing = SignallingMissing(
                        f"HTTP {resp.status} from {redact_url(url)} for the SDP offer: "
                        "the answer is not SDP")
                if missing is not None:
                    raise missing
                if resp.status == 401:
                    raise Unauthorized("401 on the SDP offer")
                if resp.status >= 400:
                    raise ConnectError(
                        f"the SDP offer was refused: HTTP {resp.status} from {redact_url(url)}: "
                        f"{server_message(text)}"
                    )
                location = resp.headers.get("Location")
                if location:
                    self.call_id = location.rstrip("/").rsplit("/", 1)[-1]
                return text
        except aiohttp.ClientError as exc:
            raise ConnectError(f"cannot reach {redact_url(url)}: {reason(exc)}") from exc

    def _on_remote_audio(self, pcm: np.ndarray, rate: int) -> None:
        self.remote_frames += 1
        if self.liveness is not None:
            self.liveness.heard()
        if rate != 48000:
            pcm = dsp.resample(pcm, rate, 48000)
        self.callbacks.on_audio(pcm, None)

    def _end(self, state: str, why: str) -> None:
        if self._ended:
            return
        self._ended = True
        if not self._closing:
            self.callbacks.on_state(state, why)

    def send_event(self, event: dict[str, Any]) -> None:
        if self._channel is None or self._channel.readyState != "open":
            raise ConnectError("not connected: the data channel is not open")
        self._channel.send(json.dumps(event))

    def send_mic(self, pcm48: Int16Array) -> dict[str, Any] | None:
        self.mic_track.push(pcm48)
        return None

    def mic_frames_until_send(self) -> int:
        return 1  # each frame is an RTP packet of its own

    def drop_pending_mic(self) -> None:
        """Nothing to drop: RTP carries each 20 ms frame as it comes, with no batching."""

    async def close(self) -> None:
        self._closing = True
        if self.liveness is not None:
            self.liveness.stop()
        self.mic_track.stop()
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
        await cancel_task(self._pump)
        self._pump = None
