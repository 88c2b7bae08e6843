"""The local server as another provider: xAI Grok Voice and Azure AI Voice Live personalities.

No provider is reachable from the tests, so the local server plays them, from the same profiles
the client reads (:mod:`voicechat.protocol.providers`), over the same engine: a personality is
only an edge around the GA or beta bridge.

* **xAI** (``/v1/realtime?model=grok-voice-…``; Bearer, or the browser subprotocol
  ``xai-client-secret.<token>``): the session's ``voice`` and ``turn_detection`` at the top
  level, in and out; ``conversation.created`` first and ``session.created`` after it only when
  the server is told to send it (``ServerConfig.xai_session_created``: early-2026 xAI never
  sent it, and a client that waits for it sits silent); the user's transcript streamed as
  the cumulative ``…transcription.updated`` (xAI's ``grok-transcribe``); ``usage`` null in
  ``response.done``
  (xAI bills per minute); a cancel with nothing to cancel answered in xAI's own words; the
  session capped at the profile's length (30 min). Its
  WebRTC routes answer 404 (:func:`is_xai_model` in the calls handlers): xAI has none.
* **Voice Live** (``/voice-live/realtime?api-version=…&model=…``; ``api-key``): the beta
  vocabulary of the bridge, with Azure's own session fields (``azure_semantic_vad``, echo
  cancellation, avatars) accepted and read as the closest beta setting, since the offline
  voice has none of them. What it sends is cut to the events and fields the official
  ``azure-ai-voicelive`` SDK models (:data:`VOICE_LIVE_UNSENT`, :data:`VOICE_LIVE_UNSENT_SESSION`):
  no ``conversation.created`` or ``rate_limits.updated``, no OpenAI-only session fields, no
  transcription ``usage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.providers import (
    INPUT_COMPLETED,
    INPUT_DELTA,
    PROFILES,
    VOICE_LIVE,
    XAI,
    XAI_INPUT_UPDATED,
    Profile,
    from_wire_session,
    to_wire_session,
    validation_session,
)
from voicechat.server.ids import event_id

JSON = dict[str, Any]

#: The browser's way to carry an xAI key or ephemeral token (its reference page).
XAI_SUBPROTOCOL = PROFILES[XAI].browser_subprotocol or "xai-client-secret."
XAI_MODEL_PREFIX = "grok-"
#: xAI's ephemeral tokens live at most an hour (``expires_after.seconds`` ≤ 3600).
XAI_MAX_TTL_S = 3600
VOICE_LIVE_PATH = "/voice-live/realtime"
#: How xAI words a cancel that found nothing to cancel (LiveKit's and pipecat's error filters).
XAI_NO_ACTIVE_RESPONSE = "Cancellation failed: no active response found"
#: Beta server events Voice Live does not send: the ``azure-ai-voicelive`` SDK (1.3.1) has no
#: class for them (its ``ServerEventType`` lists neither).
VOICE_LIVE_UNSENT = frozenset({"conversation.created", "rate_limits.updated"})
#: OpenAI's session fields that Voice Live's session (the SDK's ``ResponseSession``) lacks.
VOICE_LIVE_UNSENT_SESSION = ("object", "tracing", "speed")


def is_xai_model(model: Any) -> bool:
    """Whether ``model`` names one of xAI's voice models (the xAI personality's switch)."""
    return isinstance(model, str) and model.startswith(XAI_MODEL_PREFIX)


@dataclass
class Personality:
    """One connection's edge for a provider: client events into the dialect's shape before
    they are validated, server events into the provider's shape before they are sent."""

    profile: Profile
    #: xAI: send ``session.created`` after ``conversation.created`` (off: early-2026 xAI)
    session_created: bool = True
    _started: bool = field(default=False, repr=False)
    #: xAI: the user's transcript so far per item (its ``…transcription.updated`` is cumulative)
    _heard: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def session_cap_s(self) -> float | None:
        """The provider's longest session (xAI: 30 min ⚠ some say 60; a profile setting)."""
        cap = self.profile.capabilities.session_cap_s
        return float(cap) if cap is not None else None

    def client_event(self, data: JSON) -> JSON:
        """A parsed client event as the bridge's validator can judge it."""
        session = data.get("session")
        if data.get("type") != "session.update" or not isinstance(session, Mapping):
            return data
        if self.profile.name == VOICE_LIVE:
            return {**data, "session": validation_session(session, self.profile)}
        return {**data, "session": from_wire_session(session, self.profile)}

    def wire_event(self, event: JSON) -> JSON | None:
        """A server event already in the wire dialect, as the provider sends it (``None``:
        it sends no such event). Voice Live: beta cut to its SDK's models."""
        return _voice_live_wire(event) if self.profile.name == VOICE_LIVE else event

    def server_events(self, event: JSON) -> list[JSON]:
        """What the provider sends for one canonical server event (maybe none, maybe two)."""
        if self.profile.name != XAI:
            return [event]
        kind = event.get("type")
        out: list[JSON] = []
        if kind == "session.created" and not self._started:
            self._started = True
            out.append({"type": "conversation.created", "event_id": event_id(),
                        "conversation": {"id": _conversation_id(event),
                                         "object": "realtime.conversation"}})
            if not self.session_created:
                return out
        session = event.get("session")
        if kind in ("session.created", "session.updated") and isinstance(session, Mapping):
            event = {**event, "session": to_wire_session(session, self.profile)}
        if kind == INPUT_DELTA and isinstance(event.get("item_id"), str):
            item = event["item_id"]
            self._heard[item] = self._heard.get(item, "") + str(event.get("delta") or "")
            return [{"type": XAI_INPUT_UPDATED, "event_id": event.get("event_id", event_id()),
                     "item_id": item, "content_index": event.get("content_index", 0),
                     "transcript": self._heard[item]}]
        if kind == INPUT_COMPLETED:
            self._heard.pop(str(event.get("item_id")), None)
        response = event.get("response")
        if kind == "response.done" and isinstance(response, Mapping):
            event = {**event, "response": {**response, "usage": None}}
        error = event.get("error")
        if (kind == "error" and isinstance(error, Mapping)
                and error.get("code") == "response_cancel_not_active"):
            event = {**event, "error": {**error, "message": XAI_NO_ACTIVE_RESPONSE}}
        out.append(event)
        return out


def _voice_live_wire(event: JSON) -> JSON | None:
    """A beta wire event as Voice Live sends it (``None``: unsent), cut to what the SDK models:
    see :data:`VOICE_LIVE_UNSENT`."""
    kind = event.get("type")
    if kind in VOICE_LIVE_UNSENT:
        return None
    session = event.get("session")
    if kind in ("session.created", "session.updated") and isinstance(session, Mapping):
        kept = {k: v for k, v in session.items() if k not in VOICE_LIVE_UNSENT_SESSION}
        return {**event, "session": kept}
    if kind == INPUT_COMPLETED and "usage" in event:
        return {k: v for k, v in event.items() if k != "usage"}
    return event


def personality_for(path: str, model: Any, *, xai_session_created: bool = True
                    ) -> Personality | None:
    """The personality a WebSocket request asks for by its path and model (``None``: plain
    OpenAI or Azure OpenAI)."""
    if path.rstrip("/") == VOICE_LIVE_PATH:
        return Personality(PROFILES[VOICE_LIVE])
    if path.rstrip("/") == "/v1/realtime" and is_xai_model(model):
        return Personality(PROFILES[XAI], session_created=xai_session_created)
    return None


def xai_subprotocols(subprotocols: list[str]) -> tuple[str, ...]:
    """The ``xai-client-secret.<token>`` subprotocols offered (the one the handshake selects)."""
    return tuple(p for p in subprotocols if p.startswith(XAI_SUBPROTOCOL))


def xai_credential(subprotocols: list[str]) -> str | None:
    """The key a browser put behind ``xai-client-secret.``, if any."""
    for proto in subprotocols:
        if proto.startswith(XAI_SUBPROTOCOL) and len(proto) > len(XAI_SUBPROTOCOL):
            return proto[len(XAI_SUBPROTOCOL):]
    return None


def _conversation_id(event: Mapping[str, Any]) -> str:
    session = event.get("session")
    sid = session.get("id") if isinstance(session, Mapping) else None
    return f"conv_{sid.removeprefix('sess_')}" if isinstance(sid, str) else "conv_local"
