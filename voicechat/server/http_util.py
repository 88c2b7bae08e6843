"""HTTP details shared by the REST endpoints: OpenAI-shaped error bodies and CORS.

CORS mirrors what a browser needs against the real API: a page on another origin may POST its
SDP offer with an ephemeral key (preflight answered, ``Location`` exposed so it can learn the
call id) and hang up, but the minting endpoints get no CORS headers — a browser must never
hold the real key, so it cannot mint tokens itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

#: Paths a browser page may call cross-origin (SDP exchange and call control).
_BROWSER_PATHS = ("/v1/realtime", "/openai/v1/realtime/calls", "/v1/realtimertc")
_MINTING_SUFFIXES = ("/client_secrets", "/sessions", "/transcription_sessions")

ALLOW_HEADERS = (
    "Authorization, Content-Type, OpenAI-Beta, api-key, OpenAI-Organization, OpenAI-Project, "
    "X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, "
    "X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count"
)


def error_response(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> web.Response:
    """``{"error": {...}}`` as the OpenAI REST API answers."""
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": code,
            }
        },
        status=status,
    )


def auth_error(reason: str) -> web.Response:
    """401 without echoing the credential (only why it was refused)."""
    return error_response(
        401,
        f"Incorrect or missing API key: {reason}. Pass it as 'Authorization: Bearer <key>' "
        "(or an ek_ token from /v1/realtime/client_secrets).",
        code="invalid_api_key",
    )


def browser_allowed(path: str) -> bool:
    if path.endswith(_MINTING_SUFFIXES):
        return False
    return path.startswith(_BROWSER_PATHS)


def _cors_headers(request: web.Request) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": request.headers.get("Origin", "*"),
        "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Expose-Headers": "Location",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


@web.middleware
async def cors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    allowed = browser_allowed(request.path)
    if request.method == "OPTIONS":
        if not allowed:
            return web.Response(status=403, text="Cross-origin requests may not mint keys.")
        return web.Response(status=204, headers=_cors_headers(request))
    response = await handler(request)
    if allowed and "Origin" in request.headers and not response.prepared:
        response.headers.update(_cors_headers(request))
    return response
