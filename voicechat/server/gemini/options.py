"""Knobs of the Gemini Live peer; defaults imitate the real service."""

from __future__ import annotations

from dataclasses import dataclass

from voicechat.protocol.gemini import names


@dataclass
class GeminiOptions:
    #: a connection's life: ``goAway`` before it ends, then close 1011 "Deadline expired…"
    #: (the real service: about 10 minutes; ``voicechat serve --gemini-connection-s``)
    connection_lifetime_s: float = names.CONNECTION_LIFETIME_S
    #: how long before the end ``goAway`` comes. [infer] Google documents no figure; clients
    #: report tens of seconds. Decided: 10 s, or half the life when that is shorter.
    go_away_lead_s: float = 10.0
    #: how long a resumption handle stays valid after its connection ends (Google: 2 hours)
    handle_ttl_s: float = 7200.0
    #: how far the model's audio may run ahead of real time (the real service streams at about
    #: real time, so a barge-in stops it within a chunk or two)
    audio_lead_ms: int = 300

    @property
    def go_away_at_s(self) -> float:
        """When ``goAway`` is sent, from the connection's start."""
        return max(self.connection_lifetime_s - min(self.go_away_lead_s,
                                                    self.connection_lifetime_s / 2), 0.0)
