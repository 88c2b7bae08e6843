"""Token minting: ``POST /v1/realtime/client_secrets`` (GA) and the beta ``sessions`` endpoints.

Minting needs the real key (never an ephemeral one), validates the requested session in the
request's dialect exactly as a ``session.update`` would be, and answers in that dialect's shape.
The handlers depend only on a :class:`TokenHost`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.mapping import session_to_beta, session_to_ga
from voicechat.protocol.providers import PROFILES, XAI, from_wire_session
from voicechat.server import sessions
from voicechat.server.auth import (
    BETA_TTL_S,
    GA_DEFAULT_TTL_S,
    StoreFull,
    credential_from,
    key_identity,
    ttl_from,
)
from voicechat.server.bridge import EventBridge
from voicechat.server.host import TokenHost
from voicechat.server.hosted_mcp.config import parse_mcp_tools
from voicechat.server.hosted_mcp.secrets import echoed_session
from voicechat.server.http_util import auth_error, error_response, rate_limited
from voicechat.server.nesting import nested_too_deeply, too_deep
from voicechat.server.personalities import XAI_MAX_TTL_S, is_xai_model


def session_error(
    session: dict[str, Any], dialect: Dialect, *, azure: bool, transcription: bool = False
) -> web.Response | None:
    """The 400 for a REST-supplied session the validator rejects (``None``: it is valid)."""
    kind = "transcription_session.update" if transcription else "session.update"
    problem = EventBridge(dialect, azure=azure).check({"type": kind, "session": session})
    if problem is None and dialect is Dialect.GA and "tools" in session:
        mcp_tools = parse_mcp_tools(session["tools"])
        problem = mcp_tools if isinstance(mcp_tools, ProtocolError) else None
    if problem is None:
        return None
    return error_response(400, problem.message, code=problem.code, param=problem.param)


async def json_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object (``{}`` without a body), or the 400 to send."""
    if not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.text() or "{}")
    except RecursionError:
        return error_response(400, nested_too_deeply("The JSON body").message, code="invalid_json")
    except ValueError as exc:  # UnicodeDecodeError included: the body is not UTF-8
        return error_response(
            400,
            f"We could not parse the JSON body of your request. ({exc})",
            code="invalid_json",
        )
    if not isinstance(body, dict):
        return error_response(400, "The request body must be a JSON object.")
    if too_deep(body):
        problem = nested_too_deeply("The JSON body")
        return error_response(400, problem.message, code=problem.code)
    return body


class MintingRoutes:
    """The token-minting handlers of one host."""

    def __init__(self, host: TokenHost) -> None:
        self._host = host

    def add_to(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/realtime/client_secrets", self.client_secrets)
        router.add_post("/openai/v1/realtime/client_secrets", self.client_secrets)
        router.add_post("/v1/realtime/sessions", self.beta_sessions)
        router.add_post("/openai/realtimeapi/sessions", self.beta_sessions)
        router.add_post("/v1/realtime/transcription_sessions", self.beta_transcription_sessions)

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The JSON body of a token-minting request, or the error response (401/403/400)."""
        result = self._host.tokens.check_key(
            credential_from(request.headers, request.query),
            browser=self._host.is_browser(request.headers),
        )
        if not result.ok:
            return auth_error(result.reason, result.status)
        return await json_body(request)

    def _mint(
        self, request: web.Request, session: dict[str, Any], dialect: Dialect, ttl: int
    ) -> tuple[str, int] | web.Response:
        """A token bound to the minting key's identity, or the 429 when the store is full."""
        owner = key_identity(credential_from(request.headers, request.query))
        try:
            return self._host.tokens.mint(session, dialect, ttl, owner=owner)
        except StoreFull as exc:
            return rate_limited(str(exc), retry_after_s=60)

    async def client_secrets(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        ttl = ttl_from(body, GA_DEFAULT_TTL_S)
        if isinstance(ttl, str):
            return error_response(400, ttl, param="expires_after.seconds")
        requested = body.get("session") or {"type": "realtime"}
        if not isinstance(requested, dict):
            return error_response(400, "Invalid type for 'session': expected an object.")
        if is_xai_model(requested.get("model")):
            return await self._xai_mint(request, requested, ttl)
        azure = request.path.startswith("/openai/")
        problem = session_error(requested, Dialect.GA, azure=azure)
        if problem:
            return problem
        session = sessions.session_from_request(self._host.default_model, requested)
        minted = self._mint(request, session, Dialect.GA, ttl)
        if isinstance(minted, web.Response):
            return minted
        token, expires_at = minted
        session["expires_at"] = expires_at
        shown = echoed_session(session)  # the MCP tools' credentials stay with the server
        return web.json_response({"value": token, "expires_at": expires_at, "session": shown})

    async def _xai_mint(self, request: web.Request, requested: dict[str, Any],
                        ttl: int) -> web.Response:
        """xAI's ``client_secrets``: at most an hour, answered ``{value, expires_at}`` only
        (a session bound to the token, in xAI's shape, is optional). Chosen by the session's
        grok model: on this shared path nothing else tells xAI's clients from OpenAI's."""
        if ttl > XAI_MAX_TTL_S:
            return error_response(400, f"Invalid 'expires_after.seconds': expected a value "
                                  f"between 1 and {XAI_MAX_TTL_S}, but got {ttl} instead.",
                                  param="expires_after.seconds")
        ga = from_wire_session({"type": "realtime", **requested}, PROFILES[XAI])
        ga.pop("model", None)
        problem = session_error(ga, Dialect.GA, azure=False)
        if problem:
            return problem
        session = sessions.session_from_request(str(requested["model"]), ga)
        minted = self._mint(request, session, Dialect.GA, ttl)
        if isinstance(minted, web.Response):
            return minted
        token, expires_at = minted
        return web.json_response({"value": token, "expires_at": expires_at})

    async def beta_sessions(self, request: web.Request) -> web.Response:
        return await self._beta_mint(request, transcription=False)

    async def beta_transcription_sessions(self, request: web.Request) -> web.Response:
        return await self._beta_mint(request, transcription=True)

    async def _beta_mint(self, request: web.Request, *, transcription: bool) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        ttl = ttl_from(body, BETA_TTL_S)
        if isinstance(ttl, str):
            return error_response(400, ttl, param="client_secret.expires_after.seconds")
        flat = {k: v for k, v in body.items() if k not in ("model", "client_secret", "include")}
        azure = request.path.startswith("/openai/")
        problem = session_error(flat, Dialect.BETA, azure=azure, transcription=transcription)
        if problem:
            return problem
        model = str(body.get("model") or self._host.default_model)
        requested = session_to_ga(flat, transcription=transcription)
        session = sessions.session_from_request(model, requested, transcription=transcription)
        minted = self._mint(request, session, Dialect.BETA, ttl)
        if isinstance(minted, web.Response):
            return minted
        token, expires_at = minted
        out = session_to_beta(session)
        out.update(
            {
                "id": session["id"],
                "object": session["object"],
                "expires_at": expires_at,
                "client_secret": {"value": token, "expires_at": expires_at},
            }
        )
        if not transcription:
            out["model"] = model
            out.setdefault("temperature", 0.8)
        return web.json_response(out)
