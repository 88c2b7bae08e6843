"""A Gemini core under test: frames in as the server's builders make them, actions kept."""

from __future__ import annotations

from typing import Any

from voicechat.core.actions import Send
from voicechat.core.gemini import Connected, GeminiPolicy, GeminiSession, TurnEnded
from voicechat.core.gemini.actions import GeminiAction
from voicechat.core.gemini.inputs import GeminiInput
from voicechat.protocol.gemini import server_messages
from voicechat.protocol.gemini.events import decode_server_frame


class Core:
    def __init__(self, policy: GeminiPolicy | None = None) -> None:
        self.session = GeminiSession(policy or GeminiPolicy(model="gemini-live"))
        self.now = 0.0
        self.actions: list[GeminiAction] = []

    def frame(self, frame: dict[str, Any]) -> list[GeminiAction]:
        got = self.session.receive(decode_server_frame(frame), self.now)
        self.actions += got
        return got

    def inp(self, inp: GeminiInput) -> list[GeminiAction]:
        got = self.session.handle(inp, self.now)
        self.actions += got
        return got

    def tick(self, seconds: float) -> list[GeminiAction]:
        self.now += seconds
        got = self.session.handle_timer(self.now)
        self.actions += got
        return got

    def ready(self) -> Core:
        self.session.start(self.now)
        self.inp(Connected())
        self.frame(server_messages.setup_complete())
        return self

    def sent(self, key: str | None = None) -> list[dict[str, Any]]:
        frames = [a.event for a in self.actions if isinstance(a, Send)]
        return [f for f in frames if key is None or key in f]

    def lines(self) -> list[tuple[str, str]]:
        return [(a.speaker, a.text) for a in self.actions if isinstance(a, TurnEnded)]
