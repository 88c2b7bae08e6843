"""The Gemini Live routes: the providers' own WebSocket paths and the token endpoint.

* ``GET /ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent`` (and
  its ``v1alpha`` and ``v1`` twins: the SDK's default is ``v1``): a project key as ``?key=`` or
  ``x-goog-api-key``;
* ``GET /ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained``:
  an ephemeral token as ``?access_token=`` or ``Authorization: Token``;
* ``POST /v1alpha/auth_tokens``: mint a token (the SDK's ``client.auth_tokens.create``), with a
  project key; ``uses``, ``expireTime`` and ``newSessionExpireTime`` are honoured, the locked
  ``bidiGenerateContentSetup`` is accepted and not enforced (decided: the local peer checks
  who connects, not what the token's constraints allow).

Each WebSocket path is also served with a doubled leading slash: the SDK joins its base URL
(whose default ends in ``/``) and ``/ws/…`` as they are, and Google's service takes the result.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from voicechat.protocol.gemini import names
from voicechat.server.gemini import credentials, ws
from voicechat.server.gemini.host import GeminiHost


def add_routes(router: web.UrlDispatcher, host: GeminiHost) -> None:
    async def open_session(request: web.Request) -> web.StreamResponse:
        return await ws.handler(request, host, constrained=False)

    async def open_constrained(request: web.Request) -> web.StreamResponse:
        return await ws.handler(request, host, constrained=True)

    async def create_token(request: web.Request) -> web.StreamResponse:
        return await _create_token(request, host)

    for path in (names.PATH, names.ALPHA_PATH, names.V1_PATH):
        router.add_get(path, open_session)
        router.add_get(f"/{path}", open_session)
    router.add_get(names.CONSTRAINED_PATH, open_constrained)
    router.add_get(f"/{names.CONSTRAINED_PATH}", open_constrained)
    router.add_post(names.AUTH_TOKENS_PATH, create_token)


def _google_error(status: int, message: str, reason: str) -> web.Response:
    """Google's REST error envelope."""
    return web.json_response({"error": {"code": status, "message": message, "status": reason}},
                             status=status)


async def _create_token(request: web.Request, host: GeminiHost) -> web.Response:
    key = credentials.project_key(request.headers, request.query)
    if not host.tokens.check_key(key).ok:
        return _google_error(400, credentials.BAD_KEY, "INVALID_ARGUMENT")
    try:
        body: Any = json.loads(await request.text() or "{}")
    except ValueError:
        return _google_error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT")
    if not isinstance(body, dict):
        return _google_error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT")
    expire_s = _seconds_until(body.get("expireTime"), credentials.TOKEN_EXPIRE_S)
    new_session_s = _seconds_until(body.get("newSessionExpireTime"),
                                   credentials.TOKEN_NEW_SESSION_S)
    uses = body.get("uses", 1)
    if isinstance(uses, bool) or not isinstance(uses, int) or uses < 0:
        return _google_error(400, "Invalid value at 'uses'.", "INVALID_ARGUMENT")
    token = host.gemini_tokens.mint(expire_s=expire_s, new_session_s=new_session_s,
                                    uses=uses or 1)
    if token is None:
        return _google_error(429, "Too many ephemeral tokens: let some expire.",
                             "RESOURCE_EXHAUSTED")
    return web.json_response({"name": token.name})


def _seconds_until(value: Any, default: float) -> float:
    """An RFC 3339 time (``2026-11-25T12:00:00Z``) as seconds from now (the default when
    absent or unreadable)."""
    if not isinstance(value, str):
        return default
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - time.time(), 0.0)
