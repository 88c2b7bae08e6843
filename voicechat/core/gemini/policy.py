"""The user's settings for a Gemini Live session, and the core's few limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.gemini import names

#: tries to get a lost connection back before the conversation is given up
MAX_RECONNECTS = 3
#: waits between those tries (seconds)
RECONNECT_BACKOFF_S = (0.5, 2.0, 5.0)
#: after ``goAway`` the client waits for the turn in progress to end, but never closer than
#: this to the announced end of the connection (reconnecting before the server cuts it)
GO_AWAY_MARGIN_S = 1.0
#: how long after the last loud mic chunk the user still counts as speaking (a goAway waits)
USER_PAUSE_S = 0.8
#: a tool's time to answer before the model is told it timed out (the shared default)
TOOL_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class GeminiPolicy:
    """What the first ``setup`` asks for. ``tools`` are function declarations
    (``{name, description, parameters}``); transcription both ways and resumption are always
    on (the client builds its turns from transcripts, and survives the connection's end by
    resuming); context window compression is on unless turned off."""

    model: str = names.DEFAULT_MODEL
    voice: str | None = None
    instructions: str | None = None
    tools: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    compression: bool = True
    tool_timeout_s: float = TOOL_TIMEOUT_S
    #: ``--resume``: earlier turns as ``(role, text)``, role ``user`` or ``model``, seeded as
    #: ``clientContent`` (``turnComplete: false``) once the first setup completes
    history: tuple[tuple[str, str], ...] = ()
