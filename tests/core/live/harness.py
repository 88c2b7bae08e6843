"""A driver for the GPT-Live core: a fake clock, server-event builders, action filters.

The clock (``start``, ``do``, ``advance``) is ``tests/core/clock.py``'s, shared with the
Realtime core's harness.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.core.clock import ClockedHarness
from voicechat.core.actions import FlushPlayback, Notice, Send
from voicechat.core.live import LiveAction, LiveInput, LivePolicy, LiveSession

SPEECH_100MS = base64.b64encode(b"\x01\x02" * 2400).decode()  # PCM16 24 kHz, not silent
SILENCE_100MS = base64.b64encode(b"\x00\x00" * 2400).decode()


class LiveHarness(ClockedHarness[LiveAction, LiveInput]):
    session: LiveSession

    def __init__(self, *, strict: bool = True, **policy: Any) -> None:
        super().__init__(LiveSession(LivePolicy(**policy), strict=strict))
        self._event = 0

    def ev(self, kind: str, **fields: Any) -> list[LiveAction]:
        self._event += 1
        event = {"type": kind, "event_id": f"event_{self._event}", **fields}
        return self._keep(self.session.receive(event, self.now))

    def started(self, session_id: str = "live_1") -> list[LiveAction]:
        return self.ev("session.started", session={
            "id": session_id, "expires_at": 7200, "model": "gpt-live-1", "status": "active"})

    def user(self, text: str, start_ms: int, end_ms: int) -> list[LiveAction]:
        return self.ev("session.input_transcript.delta", delta=text, start_ms=start_ms,
                       end_ms=end_ms)

    def assistant(self, text: str, start_ms: int, end_ms: int) -> list[LiveAction]:
        return self.ev("session.output_transcript.delta", delta=text, start_ms=start_ms,
                       end_ms=end_ms)

    def audio(self, silent: bool = False) -> list[LiveAction]:
        return self.ev("session.output_audio.delta",
                       delta=SILENCE_100MS if silent else SPEECH_100MS)


def sent(actions: list[LiveAction], kind: str | None = None) -> list[dict[str, Any]]:
    return [a.event for a in actions
            if isinstance(a, Send) and (kind is None or a.event["type"] == kind)]


def notices(actions: list[LiveAction], level: str | None = None) -> list[str]:
    return [a.message for a in actions
            if isinstance(a, Notice) and (level is None or a.level == level)]


def flushed(actions: list[LiveAction]) -> bool:
    return any(isinstance(a, FlushPlayback) for a in actions)
