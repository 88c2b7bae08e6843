"""The GPT-Live link: make the transport, connect once, carry events and audio.

Decision (reference §4, "reconnect"): a lost GPT-Live connection is a lost session — a new
socket is a new session with a new id, and late delegation replies from the old one must be
dropped — so this link does not reconnect on its own (the Realtime link's seed-and-resume does
not carry over: there are no items to seed; a fresh session would need ``input`` history and a
fork is only for stored sessions). The loss is said as a notice and the run ends; reconnecting
with the transcript as startup ``input`` is listed as not supported yet in the README.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from voicechat.config import Settings
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.live.driver import LiveDriver
from voicechat.runtime.wire_send import send_event, send_mic_frame
from voicechat.transport.auth import endpoint_for
from voicechat.transport.base import Int16Array, Transport, TransportCallbacks
from voicechat.ui.handle import ConnectionInfo

STOP_TIMEOUT_S = 5.0
LOST = frozenset({"closed", "failed"})


class LiveLink:
    """One connection for one GPT-Live session."""

    def __init__(
        self,
        settings: Settings,
        driver: LiveDriver,
        events: EventFanout,
        *,
        base_url: Callable[[], str | None],
        on_audio: Callable[[Int16Array, str | None], None],
        on_lost: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._driver = driver
        self._events = events
        self._base_url = base_url
        self._on_audio = on_audio
        self._on_lost = on_lost
        self.transport: Transport | None = None
        self.connected = False
        self._closing = False
        self.connection = ConnectionInfo(
            transport=settings.transport, server=settings.describe_server(), model=settings.model,
            dialect="live", state="new",
        )

    async def connect(self) -> None:
        """Connect and start the session; raises :class:`AuthError` / :class:`ConnectError`."""
        transport = self._make_transport()
        try:
            await transport.connect()
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(transport.close(), STOP_TIMEOUT_S)
            raise
        self.transport = transport
        self.connected = True
        self._driver.transport_state("connected")
        self._driver.start()

    def _make_transport(self) -> Transport:
        callbacks = TransportCallbacks(
            on_event=self._driver.receive_text,
            on_audio=self._on_audio,
            on_state=self._on_state,
            on_notice=self._events.notice,
        )
        endpoint = endpoint_for(self._settings, self._base_url())
        if self._settings.transport == "websocket":
            from voicechat.transport.live import LiveWebSocketTransport

            return LiveWebSocketTransport(endpoint, callbacks,
                                          dead_after=self._settings.link_timeout)
        from voicechat.transport.live import LiveWebRtcTransport

        loopback = endpoint.base_url.startswith(("http://127.0.0.1", "http://localhost"))
        return LiveWebRtcTransport(endpoint, callbacks, self._driver.session.session_config(),
                                   loopback=loopback, dead_after=self._settings.link_timeout)

    def send(self, event: dict[str, Any]) -> None:
        if not self.connected or self.transport is None:
            self._events.notice("warning", f"not sent ({event.get('type')}): not connected")
            return
        send_event(self.transport, event, self._events)

    def send_mic(self, frame: Int16Array) -> bool:
        if not self.connected or self.transport is None:
            return False
        return send_mic_frame(self.transport, frame, self._events)

    def _on_state(self, state: str, detail: str) -> None:
        self.set_state(state, detail)
        if state in LOST and self.connected and not self._closing:
            self.connected = False
            if self._driver.view.state == "closed":
                return  # after session.closed the server closes the transport: expected
            self._driver.transport_state(state)
            self._events.notice("warning", f"connection lost ({detail or state}); a GPT-Live "
                                           "session cannot be resumed on a new connection")
            self._on_lost()

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

    async def close(self) -> None:
        self._closing = True
        if self.transport is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.transport.close(), STOP_TIMEOUT_S)
        if self.connection.state != "new":
            self.set_state("closed", "stopped")
        self.connected = False
