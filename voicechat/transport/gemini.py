"""Gemini Live's WebSocket (``…GenerativeService.BidiGenerateContent``): JSON both ways.

Thin on purpose: the session core (:mod:`voicechat.core.gemini`) decides what goes out and the
runtime decodes what comes in; this class only opens the socket with the key in the
``x-goog-api-key`` header (never on the URL, so it stays out of logs and proxies' access
lines), hands every frame's text to ``on_frame`` (the service sends its JSON in binary frames,
the local server in text frames: both are read), and reports the close with its code and
reason, which is the only way Gemini Live says what went wrong (no error event).

Liveness: Gemini answers pings slowly (8–30 s, providers.md §2 and its issue list), and aiohttp
waits half the heartbeat for the pong, so the heartbeat is never shorter than
:data:`MIN_HEARTBEAT_S` (a 40 s wait for the pong). Any frame resets the timer, so in a
conversation pings are rare.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from voicechat.protocol.gemini import names
from voicechat.transport.auth import AuthError, ConnectError, answered_within, reason, redact_url

MIN_HEARTBEAT_S = 80.0
GOOGLE_URL = f"wss://{names.HOST}{names.PATH}"


def gemini_ws_url(server: str) -> str:
    """The socket URL for ``server``: a base URL (``http://127.0.0.1:8000``: Google's v1beta
    path added) or a full Gemini URL (kept, ``http(s)`` as ``ws(s)``)."""
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if "BidiGenerateContent" in parts.path else names.PATH
    return urlunsplit((scheme, parts.netloc, path, "", ""))


@dataclass
class GeminiCallbacks:
    on_frame: Callable[[str], None]
    on_state: Callable[[str, str], None]
    #: the socket closed (not by us): code (``None`` when it dropped without one) and reason
    on_closed: Callable[[int | None, str], None]
    #: something the user should see (level, message): a frame that could not be handled
    on_notice: Callable[[str, str], None]


class GeminiWebSocket:
    """One connection; a reconnection is a new instance."""

    kind = "websocket"

    def __init__(self, url: str, api_key: str | None, callbacks: GeminiCallbacks, *,
                 connect_timeout: float = 15.0, dead_after: float | None = None) -> None:
        self.url = url
        self._key = api_key
        self.callbacks = callbacks
        self._connect_timeout = connect_timeout
        self._heartbeat = max(MIN_HEARTBEAT_S, dead_after or 0.0)
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._closing = False

    async def connect(self) -> None:
        shown = redact_url(self.url)
        self.callbacks.on_state("connecting", f"WebSocket to {shown}")
        headers = {names.API_KEY_HEADER: self._key} if self._key else {}
        self._http = aiohttp.ClientSession()
        try:
            async with answered_within(self.url, self._connect_timeout, "the WebSocket handshake"):
                self._ws = await self._http.ws_connect(self.url, headers=headers, max_msg_size=0,
                                                       heartbeat=self._heartbeat)
        except aiohttp.WSServerHandshakeError as exc:
            await self._http.close()
            if exc.status in (401, 403):
                raise AuthError(f"the server refused the key (HTTP {exc.status}); check "
                                "GEMINI_API_KEY") from exc
            raise ConnectError(f"WebSocket handshake with {shown} failed: HTTP "
                               f"{exc.status}") from exc
        except ConnectError:
            await self._http.close()
            raise
        except (aiohttp.ClientError, OSError) as exc:
            await self._http.close()
            raise ConnectError(f"cannot reach {shown}: {reason(exc)}") from exc
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read(), name="gemini-reader")
        self._writer = loop.create_task(self._write(), name="gemini-writer")
        self.callbacks.on_state("connected", "WebSocket")

    def send(self, message: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed or self._closing:
            raise ConnectError("not connected: the WebSocket is closed")
        self._outbox.put_nowait(json.dumps(message))

    async def _read(self) -> None:
        """Frames until the close, whose code and reason are kept (``receive()`` rather than
        ``async for``, which swallows the close frame)."""
        assert self._ws is not None
        code: int | None = None
        why = ""
        try:
            while True:
                message = await self._ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._frame(message.data)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    self._frame(message.data.decode("utf-8", "replace"))
                elif message.type == aiohttp.WSMsgType.CLOSE:
                    code, why = message.data, str(message.extra or "")
                    break
                else:  # CLOSING, CLOSED, ERROR: dropped without a close frame of the server's
                    error = self._ws.exception()
                    why = f"socket error: {reason(error)}" if error is not None else "dropped"
                    break
        except Exception as exc:  # any reader failure is a lost connection
            why = f"socket error: {reason(exc)}"
        if not self._closing:
            code = code or self._ws.close_code or None
            self.callbacks.on_state("closed", f"code {code}: {why}" if code else why)
            self.callbacks.on_closed(code, why)

    def _frame(self, text: str) -> None:
        try:
            self.callbacks.on_frame(text)
        except Exception as exc:  # a frame that fails must not close the socket
            self.callbacks.on_notice("warning", f"skipped a server frame that failed: {exc!r}")

    async def _write(self) -> None:
        assert self._ws is not None
        while True:
            text = await self._outbox.get()
            try:
                await self._ws.send_str(text)
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return  # the reader reports the loss

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 3.0)
        for task in (self._reader, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._http is not None:
            await self._http.close()
