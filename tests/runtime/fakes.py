"""Stand-ins for the runtime's unit tests: a scripted transport and a driver wired to a list.

Only the network is fake: the session core, the driver, the link and the event fan-out are the
real ones, so what these tests see is what the runtime does with a server that behaves (or dies)
exactly as scripted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.driver import Driver, Effects
from voicechat.runtime.facade import policy_for
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.link import Link
from voicechat.transport.auth import ConnectError
from voicechat.transport.base import Int16Array, TransportCallbacks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def user_text_item(item_id: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "role": "user", "status": "completed",
            "content": [{"type": "input_text", "text": text}]}


def assistant_text_item(item_id: str, text: str) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text}]}


class FakeTransport:
    """Connects (or is refused) as its server says; records what is sent over it."""

    kind = "fake"

    def __init__(self, server: FakeServer, callbacks: TransportCallbacks) -> None:
        self.server = server
        self.callbacks = callbacks
        self.sent: list[dict[str, Any]] = []
        self.mic: list[Int16Array] = []
        self.frames_per_send = 1
        self.dropped = 0
        self.closed = False

    async def connect(self) -> None:
        self.callbacks.on_state("connecting", "fake")
        refused = self.server.refusals > 0
        # frames that arrive before connect() returns (or fails)
        for event in self.server.on_refusal if refused else self.server.on_connect:
            self.callbacks.on_event(json.dumps(event))
        if refused:
            self.server.refusals -= 1
            raise ConnectError("connection refused")
        self.callbacks.on_state("connected", "fake")

    def send_event(self, event: dict[str, Any]) -> None:
        self.sent.append(event)

    def send_mic(self, pcm48: Int16Array) -> dict[str, Any] | None:
        self.mic.append(pcm48)
        return None

    def mic_frames_until_send(self) -> int:
        """As a transport that sends every ``frames_per_send`` frames (1: each as it comes)."""
        return self.frames_per_send - len(self.mic) % self.frames_per_send

    def drop_pending_mic(self) -> None:
        self.dropped += 1

    async def close(self) -> None:
        self.closed = True

    # --- the server side ---

    def server_says(self, event: dict[str, Any]) -> None:
        self.callbacks.on_event(json.dumps(event))

    def die(self) -> None:
        self.callbacks.on_state("closed", "the server went away")


@dataclass
class FakeServer:
    """Makes transports; refuses the next ``refusals`` connections."""

    refusals: int = 0
    on_connect: list[dict[str, Any]] = field(default_factory=list)
    on_refusal: list[dict[str, Any]] = field(default_factory=list)
    transports: list[FakeTransport] = field(default_factory=list)

    def make(self, callbacks: TransportCallbacks) -> FakeTransport:
        transport = FakeTransport(self, callbacks)
        self.transports.append(transport)
        return transport

    @property
    def last(self) -> FakeTransport:
        return self.transports[-1]


class Parts:
    """A driver and a link over a :class:`FakeServer`, every record kept."""

    def __init__(self, server: FakeServer | None = None, **settings: Any) -> None:
        settings.setdefault("mic", "none")
        settings.setdefault("speaker", "none")
        self.settings = Settings(server="http://127.0.0.1:9", api_key="sk-test", **settings)
        self.server = server if server is not None else FakeServer()
        self.clock = Clock()
        self.events = EventFanout(self.clock)
        self.records: list[LogRecord] = []
        self.events.subscribe(self.records.append)
        self.flushed = 0
        self.lost = 0
        self.gave_up = False
        self.audio: list[tuple[Int16Array, str | None]] = []
        self.pauses: list[str] = []  # pause / resume of the speaker, in order
        effects = Effects(send=lambda event: self.link.send(event),
                          drop_pending_mic=lambda: self.link.drop_pending_mic(),
                          flush_playback=self._flush,
                          pause_playback=lambda: self.pauses.append("pause"),
                          resume_playback=lambda: self.pauses.append("resume"))
        self.driver = Driver(policy_for(self.settings), self.events, effects, clock=self.clock)
        self.link = Link(
            self.settings, self.driver, self.events, base_url=lambda: None,
            on_audio=lambda pcm, item: self.audio.append((pcm, item)), on_lost=self._lost,
            on_gave_up=self._gave_up, make_transport=self.server.make,
            delays=(0.01, 0.01, 0.01, 0.01, 0.01),
        )

    def _flush(self) -> int:
        self.flushed += 1
        return 4800

    def _lost(self) -> None:
        self.lost += 1

    def _gave_up(self) -> None:
        self.gave_up = True

    def kinds(self, direction: str | None = None) -> list[str]:
        return [r.event["type"] for r in self.records if direction in (None, r.dir)]

    def notices(self) -> list[str]:
        return [str(r.event["message"]) for r in self.records
                if r.event["type"] == "local.notice"]

    def server_event(self, event: dict[str, Any]) -> None:
        """A server event straight into the driver (no transport in between)."""
        frame, arrived = self.driver.decode(json.dumps(event))
        self.driver.receive(frame, at=arrived)

    def shown(self) -> list[tuple[str, str]]:
        return [(e.role, e.text) for e in self.driver.view.entries if e.text]
