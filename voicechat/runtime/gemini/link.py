"""The Gemini link: one WebSocket at a time, replaced when the core says ``Reconnect``.

The first connection is made by :meth:`GeminiLink.connect` (its failure is the run's start
failure, said with the fix); every later one is made in the background when the core asks,
after the old socket is closed (the service refuses to resume a session whose connection is
still open), and reported back as ``Connected`` or ``ConnectFailed`` — the core decides about
retries. A close the link did not ask for goes to the core as ``ConnectionClosed`` with its
code and reason: the core explains 1007/1008/1011 and resumes when that can help.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from voicechat.config import Settings
from voicechat.core.gemini import (
    CloseConnection,
    Connected,
    ConnectFailed,
    ConnectionClosed,
    Reconnect,
)
from voicechat.protocol.gemini.records import redacted
from voicechat.runtime.connection import STOP_TIMEOUT_S, TransportConnection
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.gemini.driver import GeminiDriver
from voicechat.transport.auth import AuthError, ConnectError
from voicechat.transport.gemini import GeminiCallbacks, GeminiWebSocket


class GeminiLink(TransportConnection):
    """The current socket, and making the next one."""

    def __init__(self, settings: Settings, driver: GeminiDriver, events: EventFanout, *,
                 url: Callable[[], str], api_key: str | None) -> None:
        super().__init__(settings, events, dialect="gemini", base_url=lambda: None)
        self._driver = driver
        self._url = url
        self._key = api_key
        self.socket: GeminiWebSocket | None = None
        self._replacing: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """The first connection; raises :class:`AuthError` / :class:`ConnectError`."""
        self._driver.start()
        await self._open()

    def send(self, message: dict[str, Any]) -> None:
        socket = self.socket
        if socket is None or not self.connected:
            return  # the core sends only on a ready connection; a race with a close
        try:
            socket.send(message)
        except ConnectError:
            return  # the reader reports the close
        self._events.emit("out", redacted(message))

    def reconnect(self, action: Reconnect) -> None:
        if self._closing:
            return
        self._replacing = asyncio.get_running_loop().create_task(self._replace(),
                                                                 name="gemini-reconnect")

    def hang_up(self, _action: CloseConnection) -> None:
        """The user ended it: the socket closes with the runtime (``close``)."""

    async def close(self) -> None:
        """Close the socket (bounded); never hangs the exit."""
        self._closing = True
        if self._replacing is not None:
            self._replacing.cancel()
        if self.socket is not None:
            await _close_quietly(self.socket)
        if self.connection.state != "new":
            self.set_state("closed", "stopped")
        self.connected = False

    # --- parts ------------------------------------------------------------------------------

    async def _open(self) -> None:
        callbacks = GeminiCallbacks(on_frame=self._driver.receive_text, on_state=self.set_state,
                                    on_closed=self._closed, on_notice=self._events.notice)
        socket = GeminiWebSocket(self._url(), self._key, callbacks,
                                 connect_timeout=self._settings.connect_timeout,
                                 dead_after=self._settings.link_timeout)
        try:
            await socket.connect()
        except BaseException:
            await _close_quietly(socket)
            raise
        self.socket = socket
        self.connected = True
        self._driver.handle(Connected())

    async def _replace(self) -> None:
        old, self.socket = self.socket, None
        self.connected = False
        if old is not None:
            await _close_quietly(old)
        try:
            await self._open()
        except (AuthError, ConnectError) as exc:
            self._driver.handle(ConnectFailed(str(exc)))

    def _closed(self, code: int | None, reason: str) -> None:
        if self._closing:
            return
        self.connected = False
        self._driver.handle(ConnectionClosed(code, reason))


async def _close_quietly(socket: GeminiWebSocket) -> None:
    """Close ``socket``, bounded in time; a failure to close is no news at this point."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(), STOP_TIMEOUT_S)
