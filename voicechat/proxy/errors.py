"""Errors the proxy itself answers, shaped like the API's so an app's SDK reports them.

The official SDKs read ``{"error": {"message", "type", "code"}}``; a bare text 502 would surface
in the app as an unhelpful decoding error instead of the reason.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web


def error_response(
    status: int, message: str, *, code: str, kind: str = "proxy_error"
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return web.json_response(body, status=status)


def why(exc: BaseException | None) -> str:
    """A short reason for a failed connection (host and port, never a URL's query)."""
    if exc is None:
        return "no reason given"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
