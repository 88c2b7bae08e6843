"""The REST calls apps make around a Realtime session, passed through byte for byte.

Status, end-to-end headers (``Location`` above all: it carries the WebRTC call id) and body go
back to the app untouched; compressed bodies stay compressed (the client library does not
decode them), redirects are the app's to follow. What is observed is only the method, the path
without its query, and the status: bodies carry SDP, and minted ``ek_`` keys the log must never
hold anyway.

GPT-Live's WebRTC create (``POST /v1/live/sessions``) is read a little further, since nothing
else names its session: the ``session`` config it asked for (the SDP dropped) and the
``session.id`` of the answer, or the answer's ``error`` when it was refused. The bytes relayed
are still the app's and the upstream's, untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from voicechat.observe.upstream import Upstream
from voicechat.proxy.errors import error_response, why
from voicechat.proxy.headers import end_to_end
from voicechat.proxy.paths import is_live_create
from voicechat.proxy.relay import Say

MAX_BODY_BYTES = 4 * 1024 * 1024  # SDP offers and session JSON are a few kB


@dataclass(frozen=True, slots=True)
class Passed:
    """One REST call that went through: what the proxy observes of it."""

    method: str
    path: str
    status: int
    location: str | None
    #: GPT-Live creates only: the config asked for, the session answered, or the refusal
    live: LiveCreate | None = field(default=None)


@dataclass(frozen=True, slots=True)
class LiveCreate:
    """What a GPT-Live WebRTC create asked for and got (no SDP: it is media setup, not
    conversation, and may carry addresses)."""

    config: dict[str, Any] | None
    session_id: str | None
    error: dict[str, Any] | None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def read_live_create(body: bytes, answer: bytes) -> LiveCreate:
    asked, got = _json(body), _json(answer)
    config = asked.get("session") if isinstance(asked, dict) else None
    session = got.get("session") if isinstance(got, dict) else None
    session_id = session.get("id") if isinstance(session, dict) else None
    error = got.get("error") if isinstance(got, dict) else None
    return LiveCreate(config if isinstance(config, dict) else None,
                      session_id if isinstance(session_id, str) else None,
                      error if isinstance(error, dict) else None)


async def forward(request: web.Request, upstream: Upstream, http: aiohttp.ClientSession,
                  say: Say, done: Callable[[Passed], None]) -> web.StreamResponse:
    """Send ``request`` upstream and return the upstream's answer unchanged."""
    body = await request.read()
    if len(body) > MAX_BODY_BYTES:
        return error_response(413, "Request body too large for a Realtime call.",
                              code="request_too_large", kind="invalid_request_error")
    try:
        async with http.request(
            request.method, upstream.http_url(request.path_qs), data=body or None,
            headers=end_to_end(request.headers), allow_redirects=False, auto_decompress=False,
        ) as answer:
            payload = await answer.read()
            headers = end_to_end(answer.headers)
            status = answer.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = why(exc)
        say(f"upstream unreachable for {request.method} {request.path}: {reason}")
        return error_response(502, f"The proxy cannot reach the upstream server: {reason}.",
                              code="upstream_unreachable", kind="server_error")
    live = read_live_create(body, payload) if (
        request.method == "POST" and is_live_create(request.path)) else None
    done(Passed(request.method, request.path, status, headers.get("Location"), live))
    return web.Response(status=status, body=payload, headers=headers)
