"""The GPT-Live link: make the transport, connect once, carry events and audio.

Decision (reference §4, "reconnect"): a lost GPT-Live connection is a lost session — a new
socket is a new session with a new id, and late delegation replies from the old one must be
dropped — so this link does not reconnect on its own (the Realtime link's seed-and-resume does
not carry over: there are no items to seed; a fresh session would need ``input`` history and a
fork is only for stored sessions). The loss is said as a notice and the run ends; reconnecting
with the transcript as startup ``input`` is listed as not supported yet in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voicechat.config import Settings
from voicechat.runtime.connection import TransportConnection
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.live.driver import LiveDriver
from voicechat.runtime.wire_send import send_event
from voicechat.transport.base import Int16Array, Transport, TransportCallbacks

LOST = frozenset({"closed", "failed"})


class LiveLink(TransportConnection):
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
        super().__init__(settings, events, dialect="live", base_url=base_url)
        self._driver = driver
        self._on_audio = on_audio
        self._on_lost = on_lost

    async def connect(self) -> None:
        """Connect and start the session; raises :class:`AuthError` / :class:`ConnectError`."""
        transport = self._make_transport()
        await self._connect(transport)
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
        endpoint, loopback = self._endpoint()
        if self._settings.transport == "websocket":
            from voicechat.transport.live import LiveWebSocketTransport

            return LiveWebSocketTransport(endpoint, callbacks,
                                          dead_after=self._settings.link_timeout)
        from voicechat.transport.live import LiveWebRtcTransport

        return LiveWebRtcTransport(endpoint, callbacks, self._driver.session.session_config(),
                                   loopback=loopback, dead_after=self._settings.link_timeout)

    def send(self, event: dict[str, Any]) -> None:
        if not self.connected or self.transport is None:
            self._events.notice("warning", f"not sent ({event.get('type')}): not connected")
            return
        send_event(self.transport, event, self._events)

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
