"""The GPT-Live session's settings and the one ``session.start`` they become.

GPT-Live's config is fixed at start and strict: an unknown field, or ``null`` where a field is
optional, is refused (pipecat and LiveKit omit unset fields for that reason: "null is not the
same as absent"). So :func:`start_event` writes only what was set. Over WebRTC the session
starts with the HTTP create (``{"session": ..., "transport": ...}``) and ``session.start`` must
never be sent; :func:`session_config` is that ``session`` body, without ``audio.format`` (the
WebRTC create has no such field: media is negotiated in SDP).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

LiveTransport = Literal["websocket", "webrtc"]


@dataclass(frozen=True)
class LivePolicy:
    """One session's settings. Times are milliseconds; ``None`` leaves a field to the server.

    ``turn_gap_ms`` closes a speaker's turn after that long with no new fragment, and
    ``turn_separation_ms`` is how far after one speaker's last fragment the other speaker's
    first must start to count as a new turn rather than an overlap (a backchannel). Both are
    the defaults of the official SDK's transcript grouper (openai-python ``lib/live``:
    ``assistant_silence_ms`` 2000, ``min_turn_separation_ms`` 500); no server event marks turns.

    ``delegation_timeout_ms`` bounds a client delegation: the model waits until something comes
    back and no completion signal exists, so the core answers with a fallback line rather than
    leave it waiting for ever (pipecat does the same).
    """

    model: str = "gpt-live-1"
    transport: LiveTransport = "websocket"
    instructions: str | None = None
    voice: str | None = None
    audio_format: Mapping[str, Any] | None = field(default=None, hash=False)
    delegation: Mapping[str, Any] | None = field(default=None, hash=False)
    input: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    store: bool | None = None
    turn_gap_ms: int = 2000
    turn_separation_ms: int = 500
    delegation_timeout_ms: int = 30_000
    tool_timeout_ms: int = 30_000
    stop_instruction: str = (
        "The user asked you to stop talking. Stop now and wait for them to speak."
    )
    fallback_answer: str = "The task could not be finished in time; say so briefly."

    @property
    def webrtc(self) -> bool:
        return self.transport == "webrtc"

    @property
    def client_delegation(self) -> bool:
        """Whether tasks come to the client (``delegation`` omitted, null or ``client``)."""
        return self.delegation is None or self.delegation.get("type") == "client"


def session_config(policy: LivePolicy) -> dict[str, Any]:
    """The ``session`` object: only the fields that were set (the schema is strict)."""
    config: dict[str, Any] = {"model": policy.model}
    if policy.instructions is not None:
        config["instructions"] = policy.instructions
    audio: dict[str, Any] = {}
    if policy.audio_format is not None and not policy.webrtc:
        audio["format"] = dict(policy.audio_format)
    if policy.voice is not None:
        audio["output"] = {"voice": policy.voice}
    if audio:
        config["audio"] = audio
    if policy.delegation is not None:
        config["delegation"] = dict(policy.delegation)
    if policy.input:
        config["input"] = [dict(item) for item in policy.input]
    if policy.store is not None:
        config["store"] = policy.store
    return config


def start_event(policy: LivePolicy, event_id: str) -> dict[str, Any]:
    """The first event of a WebSocket session."""
    return {"type": "session.start", "event_id": event_id, "session": session_config(policy)}
