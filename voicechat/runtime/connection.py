"""One transport at a time and what the status bar shows of it: the base of both links
(Realtime: :mod:`voicechat.runtime.link`; GPT-Live: :mod:`voicechat.runtime.live.link`).

The links differ in what a lost connection means (Realtime reconnects and seeds a new session,
GPT-Live ends the run) and in what they send while down. What they share is here: the
connection's state as :class:`~voicechat.ui.handle.ConnectionInfo` and as a
``local.transport.state`` record; a transport connected so that a failed attempt leaves
nothing open; the endpoint the settings point at; mic frames only while connected; and a close
that never hangs the exit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from voicechat.config import Settings
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.wire_send import send_mic_frame
from voicechat.transport.auth import Endpoint, endpoint_for
from voicechat.transport.base import Int16Array, Transport
from voicechat.ui.handle import ConnectionInfo

STOP_TIMEOUT_S = 5.0


async def close_quietly(transport: Transport) -> None:
    """Close ``transport``, bounded in time; a failure to close is no news at this point."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(transport.close(), STOP_TIMEOUT_S)


class TransportConnection:
    """See the module docstring; a link sets ``transport`` and ``connected`` once it is up."""

    def __init__(self, settings: Settings, events: EventFanout, *, dialect: str,
                 base_url: Callable[[], str | None]) -> None:
        self._settings = settings
        self._events = events
        self._base_url = base_url
        self.transport: Transport | None = None
        self.connected = False
        self._closing = False
        self.connection = ConnectionInfo(
            transport=settings.transport, server=settings.describe_server(), model=settings.model,
            dialect=dialect, state="new",
        )

    def set_state(self, state: str, detail: str = "") -> None:
        info = self.connection
        self.connection = ConnectionInfo(
            transport=info.transport, server=info.server, model=info.model, dialect=info.dialect,
            state=state, detail=detail,
        )
        event: dict[str, Any] = {"type": "local.transport.state", "state": state}
        if detail:
            event["detail"] = detail
        self._events.local(event)

    def send_mic(self, frame: Int16Array) -> bool:
        """Send one mic frame if the link is up; ``True`` when it went out."""
        if not self.connected or self.transport is None:
            return False
        return send_mic_frame(self.transport, frame, self._events)

    def _endpoint(self) -> tuple[Endpoint, bool]:
        """The endpoint the settings point at (the embedded server's, for ``local``), and
        whether it is on this machine (WebRTC then gathers loopback candidates only)."""
        endpoint = endpoint_for(self._settings, self._base_url())
        return endpoint, endpoint.base_url.startswith(("http://127.0.0.1", "http://localhost"))

    @staticmethod
    async def _connect(transport: Transport) -> None:
        """Connect ``transport``; on failure it is closed (bounded) and the error raised."""
        try:
            await transport.connect()
        except BaseException:
            await close_quietly(transport)
            raise

    async def close(self) -> None:
        """Close the transport; never hangs the exit."""
        self._closing = True
        if self.transport is not None:
            await close_quietly(self.transport)
        if self.connection.state != "new":  # a transport was made, even if it never connected
            self.set_state("closed", "stopped")
        self.connected = False
