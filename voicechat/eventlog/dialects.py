"""Tell who sent an event and which dialect it is in, from the event alone.

GPT-Live (``/v1/live/sessions``) is another API family, not a third dialect: its event names
are its own (:data:`voicechat.protocol.live.wire.LIVE_ONLY_TYPES`), none of them is mapped,
and the doctor tells a GPT-Live log by them (``Context.live``).

Foreign logs rarely say either. Event names settle direction (the client vocabulary is small and
fixed), and names plus session shapes settle the dialect: beta has ``response.audio.*`` and a
flat session with ``modalities``; GA has ``response.output_audio.*`` and ``session.type``. The
server's dialect is decided by the first decisive server event and then used to map ambiguous
ones, so rules always see one canonical (GA) shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.eventlog.record import Direction
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.live import names as live_names
from voicechat.protocol.mapping import (
    BETA_TO_GA_SERVER_NAMES,
    GA_ONLY_SERVER_EVENTS,
    GA_TO_BETA_SERVER_NAMES,
    client_event_to_canonical,
    server_event_to_canonical,
)

CLIENT_EVENTS = frozenset(
    {
        "session.update",
        "transcription_session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "output_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "conversation.item.delete",
        "response.create",
        "response.cancel",
        "session.close",
    }
)

#: Top-level session keys that exist only in the beta (flat) shape.
BETA_SESSION_KEYS = frozenset(
    {"modalities", "voice", "input_audio_format", "output_audio_format",
     "input_audio_transcription", "turn_detection", "input_audio_noise_reduction",
     "temperature", "max_response_output_tokens", "speed"}
)
#: Top-level session keys that exist only in the GA (nested) shape.
GA_SESSION_KEYS = frozenset({"type", "audio", "output_modalities", "max_output_tokens",
                             "truncation", "prompt"})

#: The event types whose dialect :class:`DialectTracker` reads from their content; for every
#: other type the name alone decides (so a reader may hand it on as a stub of its type).
READS_CONTENT = frozenset({"session.created", "session.updated", "transcription_session.updated",
                           "session.update", "transcription_session.update", "response.create"})

_BETA_SERVER_ONLY = frozenset(BETA_TO_GA_SERVER_NAMES)
_GA_SERVER_ONLY = (frozenset(GA_TO_BETA_SERVER_NAMES) - {"session.updated"}) | GA_ONLY_SERVER_EVENTS


#: GPT-Live's client events (``session.start``, the appends…), for logs that do not say who
#: sent what. ``session.input_audio.append`` is also what a sideband reflects (server to
#: client), but a log without directions is a primary connection's, where it is the mic.
LIVE_CLIENT_EVENTS = frozenset(live_names.CLIENT_EVENTS)


def infer_direction(kind: str) -> Direction:
    if kind.startswith("local."):
        return "local"
    return "out" if kind in CLIENT_EVENTS or kind in LIVE_CLIENT_EVENTS else "in"


def session_shape(session: Any) -> Dialect | None:
    """The dialect a session object is written in, when its keys say so."""
    if not isinstance(session, Mapping):
        return None
    keys = set(session)
    beta = keys & BETA_SESSION_KEYS
    ga = keys & GA_SESSION_KEYS
    if beta and not ga:
        return Dialect.BETA
    if ga and not beta:
        return Dialect.GA
    if session.get("object") == "realtime.session" and "type" not in keys:
        return Dialect.BETA
    return None


def server_event_dialect(event: Mapping[str, Any]) -> Dialect | None:
    kind = event.get("type")
    if kind in _BETA_SERVER_ONLY:
        return Dialect.BETA
    if kind in _GA_SERVER_ONLY:
        return Dialect.GA
    if kind in ("session.created", "session.updated"):
        return session_shape(event.get("session"))
    return None


def client_event_dialect(event: Mapping[str, Any]) -> Dialect | None:
    kind = event.get("type")
    if kind == "transcription_session.update":
        return Dialect.BETA
    if kind == "session.update":
        return session_shape(event.get("session"))
    if kind == "response.create":
        response = event.get("response")
        if isinstance(response, Mapping):
            if "modalities" in response or "max_response_output_tokens" in response:
                return Dialect.BETA
            if "output_modalities" in response or "max_output_tokens" in response:
                return Dialect.GA
    return None


class DialectTracker:
    """Decides the server's dialect as events stream past and maps events to GA shape."""

    def __init__(self) -> None:
        self.server: Dialect | None = None
        self.server_evidence: str = ""

    def canonical(self, event: dict[str, Any], direction: Direction) -> dict[str, Any]:
        if direction == "local":
            return event
        if direction == "out":
            dialect = client_event_dialect(event) or Dialect.GA
            return client_event_to_canonical(event, dialect) if dialect is Dialect.BETA else event
        own = server_event_dialect(event)
        if own is not None and self.server is None:
            self.server = own
            self.server_evidence = str(event.get("type"))
        dialect = own or self.server or Dialect.GA
        if dialect is Dialect.BETA:
            return server_event_to_canonical(event, Dialect.BETA)
        return event
