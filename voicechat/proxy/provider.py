"""Which provider an app's WebSocket talks to, read from its request, never from its key.

The proxy names the provider on the session's label and tells the live doctor, the way our
own logs tell ``voicechat doctor``: a ``local.proxy.session`` record whose ``detail`` is the
path and model (``/voice-live/realtime``, ``model=grok-…``), read like our client's
``local.transport.state`` (not that type itself: the doctor reads any other ``local.*`` event as
a sign of voicechat's own log, with its mic and playback records, which a proxied app's is
not). The detection itself is the doctor's
(:func:`~voicechat.protocol.providers.provider_from_event`), so the proxy and the offline
doctor cannot disagree; only Gemini Live, a family of its own, is told by its path.
The query is rebuilt from the model alone: ``?key=``, ``?access_token=`` and ``api-key`` never
reach the detail, the label or the record.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from voicechat.protocol.providers import (
    GEMINI,
    PROFILES,
    PROXY_SESSION,
    Profile,
    provider_from_event,
)
from voicechat.proxy.paths import is_gemini_path

SESSION_RECORD = PROXY_SESSION


def safe_target(request: web.Request) -> str:
    """The path and the model, and nothing else of the query (which may carry a key)."""
    model = request.query.get("model") or request.query.get("deployment")
    return f"{request.path}?model={model}" if model else request.path


def session_record(request: web.Request) -> dict[str, Any]:
    """The record a proxied session of another provider starts with."""
    return {"type": SESSION_RECORD, "detail": safe_target(request)}


def provider_of(request: web.Request) -> Profile | None:
    """The profile of a non-OpenAI provider (``None``: OpenAI or Azure OpenAI, as before)."""
    if is_gemini_path(request.path):
        return PROFILES[GEMINI]
    name = provider_from_event(session_record(request), "local")
    return PROFILES[name] if name is not None else None
