"""WebSocket transport: events and audio both as JSON text frames.

Mic audio goes up as ``input_audio_buffer.append`` with pcm16 at 24 kHz (the session format we ask
for), batched to 100 ms per event so the log and the wire are not flooded with 50 tiny events a
second. Model audio comes down in ``response.output_audio.delta`` (GA) / ``response.audio.delta``
(beta); it is decoded here, resampled to 48 kHz with a streaming resampler per item (no clicks at
chunk edges) and handed to the runtime tagged with its item id, and the event itself is passed on
(the runtime redacts the payload before logging; the core counts the audio for truncate bounds).

The long-lived key is sent in the handshake headers, as the official SDK does; a 401 there is an
:class:`~voicechat.transport.auth.AuthError` that names the variable to check.

Liveness: a server that stops answering without closing the socket (a frozen process, a dropped
route) would otherwise leave the client "connected" for as long as TCP takes to give up. With
``dead_after`` set, aiohttp pings after two thirds of it without a frame from the server and
closes the socket when no pong comes in the remaining third; the reader reports that as a dead
link.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
import numpy as np

from voicechat.protocol.gateway_errors import family, handshake_refusal
from voicechat.rtc import dsp
from voicechat.transport.auth import (
    AuthError,
    ConnectError,
    Endpoint,
    Refused,
    answered_within,
    reason,
    redact_url,
)
from voicechat.transport.base import Int16Array, TransportCallbacks

AUDIO_DELTAS = frozenset({"response.output_audio.delta", "response.audio.delta"})
APPEND_SAMPLES_24K = 2400  # 100 ms
#: 24 kHz samples per 20 ms mic frame: the 2:1 resampler gives exactly this many per frame once
#: its filter is primed and fewer before, never more (so the frame count below never overshoots)
FRAME_SAMPLES_24K = 480


def _keep_refusal_body(into: list[str]) -> aiohttp.TraceConfig:
    """A trace that reads the body of a refused handshake into ``into``.

    aiohttp closes a refused handshake's response unread, and the gateway's JSON there is the
    only thing that says what is wrong (``无可用渠道``: no channel for this model)."""

    async def on_end(_session: Any, _ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        if params.response.status >= 400:
            with contextlib.suppress(Exception):
                raw = await asyncio.wait_for(params.response.read(), 5)
                into.append(raw[:4000].decode("utf-8", "replace"))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)
    return trace


class WebSocketTransport:
    kind = "websocket"
    #: the wire's names for audio (a subclass for another API family sets its own)
    audio_deltas: frozenset[str] = AUDIO_DELTAS
    append_type = "input_audio_buffer.append"

    def __init__(
        self, endpoint: Endpoint, callbacks: TransportCallbacks, *, dead_after: float | None = None
    ) -> None:
        self.endpoint = endpoint
        self.callbacks = callbacks
        self.dead_after = dead_after
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._up = dsp.StreamResampler(48000, 24000)
        self._pending = np.zeros(0, dtype=np.int16)
        #: chunk size -> (event, its JSON) of an all-silent append (see send_mic)
        self._silent_appends: dict[int, tuple[dict[str, Any], str]] = {}
        self._down_item: str | None = None
        self._down = dsp.StreamResampler(24000, 48000)
        self._closing = False
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        #: the gateway family the handshake's answer names (``X-Oneapi-Request-Id``), if any
        self.gateway: str | None = None

    async def connect(self) -> None:
        url = self.url()
        self.callbacks.on_state("connecting", f"WebSocket to {redact_url(url)}")
        refusals: list[str] = []
        self._http = aiohttp.ClientSession(trace_configs=[_keep_refusal_body(refusals)])
        heartbeat = self.dead_after * 2 / 3 if self.dead_after else None
        try:
            async with answered_within(url, self.endpoint.connect_timeout,
                                       "the WebSocket handshake"):
                self._ws = await self._http.ws_connect(
                    url, headers=self.endpoint.key_headers(), max_msg_size=16 * 1024 * 1024,
                    autoping=True, heartbeat=heartbeat,
                )
        except aiohttp.WSServerHandshakeError as exc:
            await self._http.close()
            body = refusals[-1] if refusals else ""
            if exc.status == 401 and not body.strip():
                raise AuthError("the server refused the API key (401); check "
                                f"{self.endpoint.key_variable}") from exc
            if exc.status >= 400:
                said = handshake_refusal(exc.status, exc.headers, body, redact_url(url))
                if exc.status == 401:
                    raise AuthError(f"{said.message}; fix: {said.fix}") from exc
                raise Refused(said.message, said.fix, lasting=said.lasting) from exc
            raise ConnectError(
                f"WebSocket handshake with {redact_url(url)} failed: HTTP {exc.status}"
            ) from exc
        except ConnectError:
            await self._http.close()
            raise
        except (aiohttp.ClientError, OSError) as exc:
            await self._http.close()
            raise ConnectError(f"cannot reach {redact_url(url)}: {reason(exc)}") from exc
        response = getattr(self._ws, "_response", None)
        self.gateway = family(response.headers if response is not None else None)
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read(), name="ws-reader")
        self._writer = loop.create_task(self._write(), name="ws-writer")
        self.callbacks.on_state("connected", "WebSocket")

    def url(self) -> str:
        """Where the socket connects (the Realtime URL of the endpoint)."""
        return self.endpoint.ws_url()

    async def _read(self) -> None:
        assert self._ws is not None
        why = "socket closed by the server"
        try:
            async for message in self._ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._on_text(message.data)
                elif message.type == aiohttp.WSMsgType.ERROR:
                    why = self._error_reason(self._ws.exception())
                    break
        except Exception as exc:  # any reader failure is a lost connection
            why = f"socket error: {reason(exc)}"
        if isinstance(self._ws.exception(), aiohttp.ServerTimeoutError):
            why = self._error_reason(self._ws.exception())  # the missing pong, however reported
        if not self._closing:
            code = self._ws.close_code
            self.callbacks.on_state("closed", f"{why} (code {code})" if code else why)

    def _error_reason(self, exc: BaseException | None) -> str:
        if isinstance(exc, aiohttp.ServerTimeoutError) and self.dead_after:
            return (f"the server sent nothing and answered no ping for {self.dead_after:g} s: "
                    "the link is dead")
        return f"socket error: {reason(exc) if exc is not None else 'unknown'}"

    def _on_text(self, text: str) -> None:
        """One frame: its audio to the speaker, the event to the runtime.

        A malformed frame must never reach the reader's except clause — that would close the
        socket, and the reconnect would meet the same event again — so a failure here becomes a
        notice and the frame is skipped (the core words its own notice for bad fields).
        """
        if '"delta"' in text and "audio" in text:
            try:
                event = json.loads(text)
            except json.JSONDecodeError:
                event = None
            if isinstance(event, dict) and event.get("type") in self.audio_deltas:
                try:
                    self._on_audio_delta(event)
                except ValueError as exc:
                    self.callbacks.on_notice(
                        "warning", f"skipped the audio of a malformed {event['type']}: "
                        f"field 'delta': {exc}"
                    )
        try:
            self.callbacks.on_event(text)
        except Exception as exc:
            self.callbacks.on_notice("warning", f"skipped a server event that failed: {exc!r}")

    def _on_audio_delta(self, event: dict[str, Any]) -> None:
        delta = event.get("delta")
        if not isinstance(delta, str):
            return  # the core names the field in its notice
        item_id = event.get("item_id") if isinstance(event.get("item_id"), str) else None
        if item_id != self._down_item:
            self._down = dsp.StreamResampler(24000, 48000)
            self._down_item = item_id
        pcm24 = dsp.b64_to_pcm16(delta)
        self.callbacks.on_audio(self._down.process(pcm24), item_id)

    def send_event(self, event: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise ConnectError("not connected: the WebSocket is closed")
        self._outbox.put_nowait(json.dumps(event))

    async def _write(self) -> None:
        """One writer keeps frames in the order they were sent."""
        assert self._ws is not None
        while True:
            text = await self._outbox.get()
            try:
                await self._ws.send_str(text)
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return  # the reader reports the loss

    def send_mic(self, pcm48: Int16Array) -> dict[str, Any] | None:
        pcm24 = self._up.process(pcm48)
        self._pending = np.concatenate([self._pending, pcm24]) if self._pending.size else pcm24
        if self._pending.size < APPEND_SAMPLES_24K:
            return None
        chunk, self._pending = self._pending, np.zeros(0, dtype=np.int16)
        if chunk.any():
            event = {"type": self.append_type, "audio": dsp.pcm16_to_b64(chunk)}
            self.send_event(event)
            return event
        # silence (an idle or muted-at-the-source mic): the same event every time, so its JSON
        # is built once per size instead of base64 + json.dumps every 100 ms
        silent = self._silent_appends.get(chunk.size)
        if silent is None:
            event = {"type": self.append_type, "audio": dsp.pcm16_to_b64(chunk)}
            silent = self._silent_appends[chunk.size] = (event, json.dumps(event))
        if self._ws is None or self._ws.closed:
            raise ConnectError("not connected: the WebSocket is closed")
        self._outbox.put_nowait(silent[1])
        return dict(silent[0])

    def mic_frames_until_send(self) -> int:
        """Frames until the pending audio makes a 100 ms append."""
        missing = APPEND_SAMPLES_24K - self._pending.size
        return max(1, -(-missing // FRAME_SAMPLES_24K))

    def drop_pending_mic(self) -> None:
        """Forget mic audio not yet sent (the mic was just muted)."""
        self._pending = np.zeros(0, dtype=np.int16)

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in (self._reader, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._http is not None:
            await self._http.close()
