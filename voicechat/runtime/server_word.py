"""What the server's frames say that the link must act on, beyond the conversation itself.

The link (:mod:`voicechat.runtime.link`) keeps the connection up; this module reads the raw
text of each server frame for the three things that change what the link does or says, so the
link keeps one job:

* a **refusal** a retry will not change (the retired beta, a bad key, no channel, quota used
  up, a blocked region): the run ends with the reason and the fix, once, since reconnecting
  would only meet it again (new-api drops the socket right after it);
* **beta-dialect events in a GA session**: something on the way speaks the retired beta API
  (new-api forces its header upstream); said once, the conversation goes on;
* a **silent drop right after ``response.done``** (1006, no close frame): how a
  one-api-family gateway ends a session when billing the turn fails; worth a hint.

Each check is a cheap substring test first, so the frames that carry none of them (nearly all)
cost no JSON parse here.
"""

from __future__ import annotations

import json
from typing import Any

from voicechat.protocol.gateway_errors import Refusal, error_event_refusal

#: server events only the beta dialect sends (a GA session that gets them is talking to beta)
BETA_MARKERS = frozenset({"conversation.item.created", "response.audio.delta",
                          "response.audio_transcript.delta", "response.text.delta"})


def gateway_name(transport: object) -> str | None:
    """The gateway the transport found in the handshake (new-api, one-api...), if any."""
    gateway = getattr(transport, "gateway", None)
    return gateway if isinstance(gateway, str) else None


def refusal_in(text: str, *, dialect: str,
               gateway: str | None) -> tuple[Refusal, str] | None:
    """The lasting refusal an ``error`` frame carries, with its code; ``None`` for any other
    frame or an error a retry may clear."""
    if '"error"' not in text:
        return None
    try:
        event: Any = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("type") != "error":
        return None
    error = event.get("error")
    if not isinstance(error, dict):
        return None
    refusal = error_event_refusal(error, dialect=dialect, gateway=gateway)
    if refusal is None:
        return None
    return refusal, str(error.get("code") or "error")


def beta_shape_notice(text: str, *, gateway: str | None) -> str | None:
    """The warning for a beta-dialect event in a GA session, or ``None`` if this frame is
    not one (the caller says it once per connection)."""
    if not any(name in text for name in BETA_MARKERS):
        return None
    try:
        kind = json.loads(text).get("type")
    except (json.JSONDecodeError, AttributeError):
        return None
    if kind not in BETA_MARKERS:
        return None
    via = f"this gateway ({gateway}) " if gateway is not None else "a gateway "
    return (f"the server answers a GA session with beta-dialect events ({kind}): something "
            f"between you and OpenAI speaks the retired beta Realtime API; {via}sending the "
            "OpenAI-Beta header upstream is the usual cause (new-api does so for every client)")


def billing_hint(*, after_done: bool, detail: str, gateway: str | None) -> str:
    """A silent drop (1006, no close frame) right after ``response.done`` is how a
    one-api-family gateway ends a session when billing the turn fails (quota used up, the
    token not found): not a network fault, and worth saying."""
    if not after_done or "1006" not in detail:
        return ""
    by = f"the {gateway} gateway" if gateway is not None else "a gateway"
    return (f". A silent close right after response.done is most often {by} billing the "
            "turn and failing (quota used up, or the token not found): check the token's "
            "quota at the gateway")
