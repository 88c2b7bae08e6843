"""HTTP details shared by the REST endpoints: OpenAI-shaped error bodies, CORS, 404/405.

CORS mirrors what a browser needs against the real API: a page on another origin may POST its
SDP offer with an ephemeral key (preflight answered with the headers it asked for, ``Location``
exposed so it can learn the call id) and hang up, but the minting endpoints get no CORS headers
— a browser must never hold the real key, so it cannot mint tokens itself. Which credentials a
browser may use is :mod:`voicechat.server.auth`'s business (:func:`is_browser` tells it);
origins the operator trusts (``--allow-origin``) get CORS on every path. A wrong path is a JSON
404 that lists the paths served, a wrong method a JSON 405 naming the right one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

from aiohttp import web
from aiohttp.typedefs import Middleware

from voicechat.server.auth import NO_KEY

#: Paths a browser page may call cross-origin (SDP exchange and call control).
_BROWSER_PATHS = ("/v1/realtime", "/openai/v1/realtime/calls", "/v1/realtimertc")
_MINTING_SUFFIXES = ("/client_secrets", "/sessions", "/transcription_sessions")

ALLOW_HEADERS = (
    "Authorization, Content-Type, OpenAI-Beta, api-key, OpenAI-Organization, OpenAI-Project, "
    "X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, "
    "X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count"
)


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    error_type: str = "invalid_request_error",
) -> web.Response:
    """``{"error": {...}}`` as the OpenAI REST API answers."""
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": error_type,
                "param": param,
                "code": code,
            }
        },
        status=status,
    )


def rate_limited(message: str, *, retry_after_s: float) -> web.Response:
    """A 429 as the OpenAI API sends one (``type`` ``requests``, code ``rate_limit_exceeded``)."""
    response = error_response(429, message, code="rate_limit_exceeded", error_type="requests")
    response.headers["Retry-After"] = str(max(1, round(retry_after_s)))
    return response


def auth_error(reason: str, status: int = 401) -> web.Response:
    """401 (or 403) without echoing the credential (only why it was refused)."""
    if status == 403:
        return error_response(403, f"{reason[:1].upper()}{reason[1:]}.", code="forbidden")
    if reason == NO_KEY:
        message = f"{NO_KEY} (or an ek_ token from /v1/realtime/client_secrets)."
    else:
        message = (
            f"Incorrect or missing API key: {reason}. Pass it as 'Authorization: Bearer <key>' "
            "(or an ek_ token from /v1/realtime/client_secrets)."
        )
    return error_response(401, message, code="invalid_api_key")


def browser_allowed(path: str) -> bool:
    if path.endswith(_MINTING_SUFFIXES):
        return False
    return path.startswith(_BROWSER_PATHS)


def is_browser(headers: Mapping[str, str], trusted: Collection[str]) -> bool:
    """A request from a web page: it has an ``Origin`` the operator did not ``--allow-origin``.

    Browsers add ``Origin`` to every cross-origin fetch and every WebSocket handshake, and a page
    cannot remove it; native clients (the SDKs, this project's client) send none.
    """
    origin = headers.get("Origin")
    return origin is not None and origin not in trusted


def _cors_headers(request: web.Request) -> dict[str, str]:
    # Reflect what the preflight asks for, as the real API does: browser SDKs add their own
    # headers (OpenAI's sends X-OpenAI-Agents-SDK) and a fixed list refuses them.
    requested = request.headers.get("Access-Control-Request-Headers", "").strip()
    return {
        "Access-Control-Allow-Origin": request.headers.get("Origin", "*"),
        "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
        "Access-Control-Allow-Headers": requested or ALLOW_HEADERS,
        "Access-Control-Expose-Headers": "Location",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def not_found(request: web.Request) -> web.Response:
    """404 naming the paths this server serves (a wrong ``--server`` path says what is right)."""
    paths = sorted({str(resource.canonical) for resource in request.app.router.resources()})
    return error_response(
        404,
        f"Unknown path {request.path!r}. This server serves: {', '.join(paths)}.",
        code="not_found",
    )


def cors_middleware(trusted: Collection[str] = ()) -> Middleware:
    """CORS for the browser paths (and every path for ``trusted`` origins), JSON 404/405s."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        allowed = browser_allowed(request.path) or request.headers.get("Origin") in trusted
        unmatched = request.match_info.http_exception
        if request.method == "OPTIONS":
            if isinstance(unmatched, web.HTTPNotFound):
                return not_found(request)
            if not allowed:
                return web.Response(status=403, text="Cross-origin requests may not mint keys.")
            return web.Response(status=204, headers=_cors_headers(request))
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            if isinstance(unmatched, web.HTTPNotFound):
                return not_found(request)
            raise
        except web.HTTPMethodNotAllowed as exc:
            return error_response(
                405,
                f"{request.method} is not allowed on {request.path}: use "
                f"{', '.join(sorted(exc.allowed_methods))}.",
                code="method_not_allowed",
            )
        if allowed and "Origin" in request.headers and not response.prepared:
            response.headers.update(_cors_headers(request))
        return response

    return middleware
