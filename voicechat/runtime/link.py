"""The link: the connection to the server, kept up for the whole conversation.

It makes the transport the settings ask for, connects, shows the connection's state, and when the
connection is lost retries with backoff and seeds the new server session with the transcript so
far as text items, so nothing said (and transcribed) or typed is lost. Events the session sends
while the link is down are queued and sent after the seed, except those that only make sense on
the connection they were meant for (audio appends, cancels, truncates).

Decisions:

* The old session and its transcript stay in place until a new connection is up: a failed
  attempt changes nothing, and every attempt seeds from the same conversation. Only once
  ``transport.connect()`` has returned does the driver start a fresh session (the old one
  describes a server session that no longer exists: its item ids, response and buffers are gone).
* A lost link is said as a notice naming the reason (the transport's: the server closed it, or
  it went silent — see :mod:`voicechat.transport.liveness`) as well as a state, so a headless
  run and the log show why the conversation paused.
* An attempt's events reach the core only once the attempt is adopted: what its transport reports
  while connecting is logged and shown at once, but the server frames are held and fed to the new
  session right after it starts, so nothing from the new server lands in the old session.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicechat.config import Settings
from voicechat.core import SessionView, TransportState
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.frames import ServerFrame
from voicechat.protocol.gateway_errors import Refusal
from voicechat.protocol.mapping import client_event_from_canonical
from voicechat.runtime.connection import TransportConnection, close_quietly
from voicechat.runtime.driver import Driver
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.server_word import (
    beta_shape_notice,
    billing_hint,
    gateway_name,
    refusal_in,
)
from voicechat.runtime.wire_send import send_event
from voicechat.transport.auth import AuthError, ConnectError, Refused, SignallingMissing
from voicechat.transport.base import Int16Array, Transport, TransportCallbacks
from voicechat.ui.handle import ConnectionInfo

RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
DROPPABLE_WHILE_DOWN = frozenset(
    {"input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
     "response.cancel", "output_audio_buffer.clear", "conversation.item.truncate"}
)
LOST = frozenset({"closed", "failed"})

Seed = tuple[tuple[str, str], ...]


def transcript_for_seed(view: SessionView) -> Seed:
    """The (role, text) turns of a conversation worth carrying into a new server session."""
    entries = []
    for entry in view.entries:
        text = (entry.text or "").strip()
        if text and entry.role in ("user", "assistant"):
            entries.append((entry.role, text))
    return tuple(entries)


def seed_item(role: str, text: str, dialect: Dialect,
              item_id: str | None = None) -> dict[str, Any]:
    """One earlier turn as a ``conversation.item.create`` with a text part (and ``item_id``,
    when given: a resumed conversation's turns carry ids that mark them earlier)."""
    part = "input_text" if role == "user" else "output_text"
    item: dict[str, Any] = {"type": "message", "role": role,
                            "content": [{"type": part, "text": text}]}
    if item_id is not None:
        item = {"id": item_id, **item}
    event = {"type": "conversation.item.create", "item": item}
    return client_event_from_canonical(event, dialect)


@dataclass
class _Attempt:
    """One transport being connected; adopted once its ``connect()`` returned."""

    adopted: bool = False
    held: list[ServerFrame] = field(default_factory=list)
    transport: Transport | None = None
    after_done: bool = False  # the last server event was response.done


class Link(TransportConnection):
    """Makes, connects, reconnects and seeds the transport; queues sends while it is down."""

    def __init__(
        self,
        settings: Settings,
        driver: Driver,
        events: EventFanout,
        *,
        base_url: Callable[[], str | None],
        on_audio: Callable[[Int16Array, str | None], None],
        on_lost: Callable[[], object],
        on_gave_up: Callable[[], None],
        make_transport: Callable[[TransportCallbacks], Transport] | None = None,
        delays: tuple[float, ...] = RECONNECT_DELAYS_S,
    ) -> None:
        super().__init__(settings, events, dialect=settings.dialect, base_url=base_url)
        self._make = make_transport if make_transport is not None else self._transport_for
        self._delays = delays
        self._driver = driver
        self._on_audio = on_audio
        self._on_lost = on_lost
        self._on_gave_up = on_gave_up
        self.reconnects = 0
        self._attempt: _Attempt | None = None
        self._queued: list[dict[str, Any]] = []
        self._reconnect_task: asyncio.Task[None] | None = None
        self._earlier: Seed = ()  # a resumed conversation, seeded into the first session
        self.refused = False  # a refusal a retry will not change ended the run: no reconnect
        self._beta_said = False

    # --- connecting ------------------------------------------------------------------------------

    async def connect(self, earlier: Seed = ()) -> None:
        """The first connection; raises :class:`AuthError` / :class:`ConnectError`.

        ``earlier``: the turns of a resumed conversation (``--resume``), seeded into the new
        session right after its first ``session.update``, with ids that mark them earlier."""
        self._earlier = earlier
        await self._open(seed=None)

    async def switch(self, settings: Settings, *, before_adopt: Callable[[], None]) -> None:
        """A new server session on ``settings`` (another server, model or session settings),
        seeded with the conversation; the old transport is closed once the new one is up.

        ``before_adopt`` runs once the new connection is up, before the new session starts
        (the runtime's chance to swap the policy). On failure the old connection goes on as if
        nothing happened, and the error is raised (:class:`AuthError`, :class:`ConnectError`).
        """
        old_settings, old_attempt, old_info = self._settings, self._attempt, self.connection
        old_transport = self.transport
        seed = transcript_for_seed(self._driver.view)
        self._settings = settings
        self.connection = ConnectionInfo(
            transport=settings.transport, server=settings.describe_server(),
            model=settings.model, dialect=settings.dialect, state=old_info.state,
        )
        note = (f"new session on {settings.describe_server()} · {settings.model}: seeded with "
                f"{len(seed)} earlier message(s) as text")
        try:
            await self._open(seed=seed, before_adopt=before_adopt, note=note)
        except BaseException:
            self._settings, self.connection = old_settings, old_info
            if self._attempt is not old_attempt and self.transport is old_transport:
                self._attempt = old_attempt
            raise
        if old_transport is not None and old_transport is not self.transport:
            await close_quietly(old_transport)

    async def _open(self, *, seed: Seed | None, before_adopt: Callable[[], None] | None = None,
                    note: str | None = None) -> None:
        """One attempt; on success the new transport is adopted (and seeded if ``seed``)."""
        attempt = _Attempt()
        self._attempt = attempt
        transport = attempt.transport = self._make_transport(attempt)
        try:
            await self._connect(transport)
        except SignallingMissing as exc:
            if self._settings.transport != "webrtc":
                raise
            self._fall_back_to_websocket(exc)
            await self._open(seed=seed, before_adopt=before_adopt, note=note)
            return
        except Refused as exc:
            # the run's log keeps why (stderr says it to the user): the doctor reads it
            self._events.local({"type": "local.connect.refused", "message": str(exc),
                                "fix": exc.fix})
            raise
        if self._closing or self._attempt is not attempt:
            await transport.close()
            return
        if before_adopt is not None:
            before_adopt()
        self._adopt(attempt, transport, seed, note)

    def _adopt(self, attempt: _Attempt, transport: Transport, seed: Seed | None,
               note: str | None = None) -> None:
        driver = self._driver
        self.transport = transport
        self.connected = True
        if seed is not None:
            driver.renew(seeded=len(seed))
        driver.handle(TransportState(self.connection.state))
        driver.start()
        attempt.adopted = True
        held, attempt.held = attempt.held, []
        for frame in held:
            driver.receive(frame)
        if seed:
            from voicechat.conversation.seed import carried_item_id

            dialect = Dialect(self._settings.dialect)
            for index, (role, text) in enumerate(seed):  # ids that say "a copy" (seed.py)
                self.send(seed_item(role, text, dialect, carried_item_id(index)))
            self._events.notice(
                "info", note or f"reconnected: new session seeded with {len(seed)} earlier "
                "message(s) as text"
            )
        elif note:
            self._events.notice("info", note)
        if self._earlier:
            from voicechat.conversation.seed import earlier_item_id

            dialect = Dialect(self._settings.dialect)
            earlier, self._earlier = self._earlier, ()
            for index, (role, text) in enumerate(earlier):
                self.send(seed_item(role, text, dialect, earlier_item_id(index)))
        queued, self._queued = self._queued, []
        for event in queued:
            self.send(event)

    def _fall_back_to_websocket(self, why: SignallingMissing) -> None:
        """WebRTC's signalling is not there (a gateway that relays only the WebSocket): use
        WebSocket with the user's key for the rest of the session (its reconnects too), and say
        why once. Only before a call is set up, and never on 401/403 (those are the key's)."""
        self._settings = dataclasses.replace(self._settings, transport="websocket")
        info = self.connection
        self.connection = ConnectionInfo(
            transport="websocket", server=info.server, model=info.model, dialect=info.dialect,
            state=info.state, detail=info.detail,
        )
        self._events.notice(
            "warning", f"this server or gateway does not relay WebRTC ({why}); using WebSocket "
            "with your key for this session (--transport websocket skips the try)")

    def _make_transport(self, attempt: _Attempt) -> Transport:
        """A transport whose callbacks are tied to ``attempt`` (a stale one is ignored)."""
        return self._make(TransportCallbacks(
            on_event=lambda text: self._on_event(attempt, text),
            on_audio=lambda pcm, item: self._on_transport_audio(attempt, pcm, item),
            on_state=lambda state, detail: self._on_state(attempt, state, detail),
            on_notice=self._events.notice,
        ))

    def _transport_for(self, callbacks: TransportCallbacks) -> Transport:
        """The transport the settings ask for (WebSocket or WebRTC), to the current server."""
        endpoint, loopback = self._endpoint()
        if self._settings.transport == "websocket":
            from voicechat.transport.websocket import WebSocketTransport

            return WebSocketTransport(endpoint, callbacks, dead_after=self._settings.link_timeout)
        from voicechat.transport.webrtc import WebRtcTransport

        return WebRtcTransport(endpoint, callbacks, loopback=loopback,
                               dead_after=self._settings.link_timeout)

    # --- sending ---------------------------------------------------------------------------------

    def send(self, event: dict[str, Any]) -> None:
        """Send now, or queue while the link is down (audio and cuts are dropped instead)."""
        if not self.connected or self.transport is None:
            if event.get("type") not in DROPPABLE_WHILE_DOWN:
                self._queued.append(event)
            return
        send_event(self.transport, event, self._events)

    def mic_frames_until_send(self) -> int:
        """Frames until mic audio next goes on the wire (1 while the link is down)."""
        if not self.connected or self.transport is None:
            return 1
        return self.transport.mic_frames_until_send()

    def drop_pending_mic(self) -> None:
        if self.transport is not None:
            self.transport.drop_pending_mic()

    # --- what the transport reports --------------------------------------------------------------

    def _on_event(self, attempt: _Attempt, text: str) -> None:
        if attempt is not self._attempt:
            return  # a transport we gave up on
        attempt.after_done = '"response.done"' in text[:80]
        gateway = gateway_name(attempt.transport)
        if not self.refused:
            found = refusal_in(text, dialect=self._settings.dialect, gateway=gateway)
            if found is not None:
                self._refused(*found)
        if not self._beta_said and self._settings.dialect == "ga":
            notice = beta_shape_notice(text, gateway=gateway)
            if notice is not None:
                self._beta_said = True
                self._events.notice("warning", notice)
        frame, arrived = self._driver.decode(text)
        if attempt.adopted:
            self._driver.receive(frame, at=arrived)
        else:
            attempt.held.append(frame)

    def _on_transport_audio(self, attempt: _Attempt, pcm: Int16Array, item: str | None) -> None:
        if attempt.adopted and attempt is self._attempt:
            self._on_audio(pcm, item)

    def _on_state(self, attempt: _Attempt, state: str, detail: str) -> None:
        if attempt is not self._attempt:
            return
        self.set_state(state, detail)
        if not attempt.adopted:
            return  # shown; the core hears of it once the attempt is adopted
        self._driver.handle(TransportState(state))
        if state in LOST and self.connected and not self._closing and not self.refused:
            self.connected = False
            self._events.notice("warning", f"connection lost ({detail or state}); reconnecting"
                                + billing_hint(after_done=attempt.after_done, detail=detail,
                                               gateway=gateway_name(attempt.transport)))
            self._on_lost()
            if self._reconnect_task is None:
                self._reconnect_task = asyncio.get_running_loop().create_task(
                    self._reconnect(detail), name="runtime-reconnect"
                )

    def _refused(self, refusal: Refusal, code: str) -> None:
        """A refusal a retry will not change ends the run with its reason and fix, once
        (:func:`~voicechat.runtime.server_word.refusal_in`)."""
        self.refused = True
        self._events.notice("error", f"{refusal.message}. Fix: {refusal.fix}")
        self.set_state("failed", "refused: " + code)
        self._on_gave_up()

    # --- reconnecting ----------------------------------------------------------------------------

    async def _reconnect(self, why: str) -> None:
        try:
            if self.transport is not None:
                await close_quietly(self.transport)
            # Read once: the old session stays until a new connection is up, so every attempt
            # seeds the same conversation (typed messages meanwhile are queued, not seeded).
            seed = transcript_for_seed(self._driver.view)
            for attempt, delay in enumerate(self._delays, start=1):
                self.set_state("reconnecting", f"{why}; attempt {attempt} in {delay:g} s")
                await asyncio.sleep(delay)
                try:
                    await self._open(seed=seed)
                except Refused as exc:
                    if not exc.lasting:
                        self._events.notice("warning", f"reconnect attempt {attempt} failed: "
                                                       f"{exc}")
                        continue
                    self.refused = True
                    self.set_state("failed", "refused")
                    self._events.notice("error", f"{exc}. Fix: {exc.fix}")
                    self._on_gave_up()
                    return
                except (ConnectError, AuthError, OSError) as exc:
                    self._events.notice("warning", f"reconnect attempt {attempt} failed: {exc}")
                    continue
                if self.connected:
                    self.reconnects += 1
                return
            self.set_state("failed", f"gave up after {len(self._delays)} attempts")
            self._events.notice("error", "the connection is lost and could not be restored")
            self._on_gave_up()
        finally:
            self._reconnect_task = None

    async def close(self) -> None:
        """Stop reconnecting and close the transport; never hangs the exit."""
        self._closing = True
        task = self._reconnect_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._attempt = None
        await super().close()
