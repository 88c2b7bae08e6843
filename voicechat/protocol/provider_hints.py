"""Which provider a log's events point at, and the events that say a session is up: what
the doctor, the proxy and the live doctor read of providers on every event, apart from the
profiles themselves (:mod:`voicechat.protocol.providers`).

Why a module of its own: the doctor reads every entry of a long log and needs only these few
names and one function; the profiles (a dozen frozen records, their rewrites and lints) cost
its start-up on every log for nothing (issue 39's budget). Stdlib only, sans-IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PROVIDER_HINT_TYPES", "PROXY_SESSION", "READY_EVENTS", "VOICE_LIVE", "XAI",
           "XAI_INPUT_UPDATED", "provider_from_event", "turn_detections"]

XAI = "xai"
VOICE_LIVE = "voice-live"

#: The events that say a server session is up, whichever comes first: xAI's ``session.created``
#: may never come (early 2026, gptme-contrib#709), its reference calls ``conversation.created``
#: "the first message", and every service answers the first ``session.update``. A client that
#: waits for one of them must accept any; voicechat waits for none (it sends its
#: ``session.update`` at once).
READY_EVENTS = frozenset({"session.created", "session.updated", "conversation.created"})

#: xAI's streaming ASR (``grok-transcribe``): a *cumulative* transcript of the item so far.
XAI_INPUT_UPDATED = "conversation.item.input_audio_transcription.updated"

#: The record ``voicechat proxy`` starts another provider's session with: its ``detail`` is the
#: path and model the app asked for (never the query's key), read like a transport state's.
PROXY_SESSION = "local.proxy.session"

#: The only event types :func:`provider_from_event` can learn anything from: a reader of a long
#: log asks it of these alone (a set test per event instead of a call).
PROVIDER_HINT_TYPES = frozenset({XAI_INPUT_UPDATED, "local.transport.state", PROXY_SESSION,
                                 "session.created", "session.updated", "session.update"})


def provider_from_event(event: Mapping[str, Any], direction: str) -> str | None:
    """The provider one event of a log points at (``None``: it says nothing of one).

    The doctor reads other people's logs, which never say which service they talked to: a
    ``grok-…`` model (in a session the server reports, or on the URL our logs' transport
    state names), xAI's own ``…transcription.updated``, or Voice Live's ``azure_*`` VAD types
    and ``/voice-live/`` path tell. ``conversation.created`` first is only a hint (beta
    WebSocket sessions send it too), so it is not read here.
    """
    kind = event.get("type")
    if kind == XAI_INPUT_UPDATED:
        return XAI
    if kind in ("local.transport.state", PROXY_SESSION):
        detail = str(event.get("detail") or "")
        if "model=grok-" in detail:
            return XAI
        return VOICE_LIVE if "/voice-live/" in detail else None
    session = event.get("session")
    if not isinstance(session, Mapping):
        return None
    model = session.get("model")
    if direction == "in" and isinstance(model, str) and model.startswith("grok-"):
        return XAI
    # (no copy of a decoded session, no list: this runs on every session event of a log
    # whose provider stays unknown, an OpenAI one)
    session = session if type(session) is dict else dict(session)
    top = session.get("turn_detection")
    if isinstance(top, dict) and _azure_vad(top):
        return VOICE_LIVE
    audio = session.get("audio")
    inp = audio.get("input") if isinstance(audio, dict) else None
    nested = inp.get("turn_detection") if isinstance(inp, dict) else None
    return VOICE_LIVE if isinstance(nested, dict) and _azure_vad(nested) else None


def _azure_vad(detection: dict[str, Any]) -> bool:
    return str(detection.get("type") or "").startswith("azure_")


def turn_detections(session: dict[str, Any]) -> list[dict[str, Any]]:
    """The turn detection a session sets, top-level (xAI) or under ``audio.input`` (GA)."""
    found: list[dict[str, Any]] = []
    top = session.get("turn_detection")
    if isinstance(top, dict):
        found.append(top)
    audio = session.get("audio")
    inp = audio.get("input") if isinstance(audio, dict) else None
    nested = inp.get("turn_detection") if isinstance(inp, dict) else None
    if isinstance(nested, dict):
        found.append(nested)
    return found
