"""One proxied WebSocket session: the upstream handshake, then frames relayed both ways.

The upstream handshake happens first, with the app's own headers and subprotocols (the
``openai-insecure-api-key.`` and ephemeral-key subprotocols included), so the app sees the
upstream's verdict: the subprotocol it chose, or its refusal status. Then each frame is
forwarded as it arrives and *then* handed to the tap, which only publishes to the never-blocking
feed: the app's traffic waits on nothing but the other socket.

Close frames are relayed too (with ``autoclose`` off, so the code the app or the upstream sent is
the one the other side gets), and the first side to close or drop is the one the session's
:class:`~voicechat.observe.feed.SessionClosed` names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from voicechat.eventlog.gemini_frames import CLOSE as GEMINI_CLOSE
from voicechat.eventlog.record import Direction
from voicechat.observe.feed import ClosedBy
from voicechat.observe.tap import Tap, notice
from voicechat.observe.upstream import Upstream
from voicechat.protocol.providers import PROFILES
from voicechat.proxy.errors import error_response, why
from voicechat.proxy.headers import CREDENTIAL_HEADERS, end_to_end
from voicechat.proxy.provider import provider_of, session_record

BETA_SUBPROTOCOL = "openai-beta.realtime-v1"
INSECURE_KEY = "openai-insecure-api-key."
EPHEMERAL_KEY = "openai-insecure-ephemeral-key."  # older browser SDKs
#: Subprotocol prefixes that carry a key (xAI's browser secret is its profile's).
KEY_SUBPROTOCOLS = (INSECURE_KEY, EPHEMERAL_KEY,
                    *(p.browser_subprotocol for p in PROFILES.values() if p.browser_subprotocol))
#: Query parameters that carry a key (Azure's ``api-key``, Gemini's ``key``/``access_token``).
KEY_QUERY = ("api-key", "key", "access_token")

OpenSession = Callable[[str], Tap]  # label → the new session's tap
#: One line the proxy says about itself (never carrying a credential).
Say = Callable[[str], None]


def offered_subprotocols(request: web.Request) -> list[str]:
    raw = request.headers.get("Sec-WebSocket-Protocol", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def describe(request: web.Request, offered: list[str]) -> str:
    """What a person recognises about a session, with no credential in it."""
    beta = ("realtime=v1" in request.headers.get("OpenAI-Beta", "")
            or BETA_SUBPROTOCOL in offered or request.path.rstrip("/") == "/openai/realtime")
    model = request.query.get("model") or request.query.get("deployment") or "default model"
    if any(p.startswith(KEY_SUBPROTOCOLS) for p in offered):
        auth = "key in subprotocol"
    elif any(h.lower() in CREDENTIAL_HEADERS for h in request.headers):
        auth = "key in header"
    elif any(q in request.query for q in KEY_QUERY):
        auth = "key in query"
    else:
        auth = "no key"
    profile = provider_of(request)
    if profile is not None:
        model = "" if profile.family == "gemini" else f" {model}"  # Gemini's is in its setup
        return f"{profile.title}{model} from {request.remote or '?'} ({auth})"
    azure = " Azure" if request.path.startswith("/openai/") else ""
    if "/live" in request.path:  # GPT-Live: the model comes later, inside session.start
        tail = request.path.rstrip("/").rsplit("/", 1)[-1]
        what = {"attach": "sideband", "fork": "fork"}.get(tail, "session")
        return f"GPT-Live{azure} {what} from {request.remote or '?'} ({auth})"
    return f"{'beta' if beta else 'GA'}{azure} {model} from {request.remote or '?'} ({auth})"


async def relay(request: web.Request, upstream: Upstream, http: aiohttp.ClientSession,
                open_session: OpenSession, say: Say) -> web.StreamResponse:
    """Serve one app WebSocket by relaying it to ``upstream``."""
    offered = offered_subprotocols(request)
    headers = end_to_end(request.headers, websocket=True)
    label = describe(request, offered)
    try:
        up = await http.ws_connect(
            upstream.ws_url(request.path_qs), headers=headers, protocols=offered,
            autoclose=False, autoping=True, max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
    except aiohttp.WSServerHandshakeError as exc:
        say(f"upstream refused a WebSocket ({label}): {exc.status} {exc.message}")
        return error_response(
            exc.status, f"The upstream server refused the WebSocket: {exc.status} {exc.message}.",
            code="upstream_refused", kind="invalid_request_error" if exc.status < 500 else
            "server_error",
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = why(exc)
        say(f"upstream unreachable for a WebSocket ({label}): {reason}")
        return error_response(502, f"The proxy cannot reach the upstream server: {reason}.",
                              code="upstream_unreachable", kind="server_error")
    app_ws = web.WebSocketResponse(protocols=(up.protocol,) if up.protocol else (),
                                   autoclose=False, max_msg_size=0)
    try:
        await app_ws.prepare(request)
    except (ConnectionError, aiohttp.ClientError) as exc:
        await up.close()
        say(f"the app left during the handshake ({label}): {why(exc)}")
        return app_ws
    tap = open_session(label)
    profile = provider_of(request)
    if profile is not None:  # the live doctor learns it as the file doctor does
        tap.event("local", session_record(request))
    ending = await _pump_both(app_ws, up, tap)
    by, reason = ending.first or ("proxy", "the relay failed")
    if profile is not None and profile.family == "gemini" and ending.code is not None:
        # Gemini Live has no error event: its service refuses by closing, so the close is the
        # finding's evidence (gemini-closed-with-error), recorded as a Gemini log reader types it
        tap.event("in" if by == "upstream" else "out",
                  {"type": GEMINI_CLOSE, "code": ending.code, "reason": ending.said})
    tap.close(by, reason)
    return app_ws


class _Ending:
    """Which side ended the session: the first pump to see a close or a drop says, before any
    await, because closing one socket makes the other pump wake up with a close of its own."""

    def __init__(self) -> None:
        self.first: tuple[ClosedBy, str] | None = None
        self.code: int | None = None  # the first close frame's code and reason, if one came
        self.said = ""

    def mark(self, by: ClosedBy, reason: str, code: int | None = None, said: str = "") -> None:
        if self.first is None:
            self.first = (by, reason)
            self.code, self.said = code, said


async def _pump_both(app_ws: web.WebSocketResponse, up: aiohttp.ClientWebSocketResponse,
                     tap: Tap) -> _Ending:
    """Relay until one side closes or drops; close the other; say who ended it, and how."""
    ending = _Ending()
    to_upstream = asyncio.create_task(_pump(app_ws, up, "out", tap, ending))
    to_app = asyncio.create_task(_pump(up, app_ws, "in", tap, ending))
    try:
        await asyncio.wait({to_upstream, to_app}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (to_upstream, to_app):
            task.cancel()
        for task in (to_upstream, to_app):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    reason = (ending.first or ("proxy", "the relay failed"))[1]
    # the other side learns of the end: a relayed close code, or 1011 for a dropped peer
    for ws in (up, app_ws):
        if not ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1011 if "dropped" in reason else 1000,
                                                message=b"peer closed"), 5)
    return ending


WS = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


async def _pump(source: WS, sink: WS, direction: Direction, tap: Tap, ending: _Ending) -> None:
    """Forward ``source``'s frames to ``sink`` until either side closes or drops."""
    source_side: ClosedBy = "app" if direction == "out" else "upstream"
    sink_side: ClosedBy = "upstream" if direction == "out" else "app"
    while True:
        msg = await source.receive()
        try:
            if msg.type == WSMsgType.TEXT:
                await sink.send_str(msg.data)
                _tap_text(tap, direction, msg.data)
                continue
            if msg.type == WSMsgType.BINARY:
                await sink.send_bytes(msg.data)
                _tap_binary(tap, direction, msg.data)
                continue
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            ending.mark(sink_side, "connection dropped")
            return
        if msg.type == WSMsgType.CLOSE:
            code = int(msg.data) if isinstance(msg.data, int) else 1000
            extra = f" ({msg.extra})" if msg.extra else ""
            ending.mark(source_side, f"closed with code {code}{extra}", code, msg.extra or "")
            with contextlib.suppress(Exception):
                await sink.close(code=code, message=(msg.extra or "").encode()[:120])
            with contextlib.suppress(Exception):
                await source.close()
            return
        if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED):
            closed_code = source.close_code
            dropped = closed_code is None or closed_code == 1006
            ending.mark(source_side, "connection dropped" if dropped
                        else f"closed with code {closed_code}")
            return
        if msg.type == WSMsgType.ERROR:
            ending.mark(source_side, f"connection dropped: {why(source.exception())}")
            return


def _tap_binary(tap: Tap, direction: Direction, data: bytes) -> None:
    """Gemini Live's service sends its JSON frames as binary ones: those are events too (the
    app got the bytes as they came); other binary frames are only counted."""
    event: Any = None
    if data[:1] == b"{":
        try:
            event = json.loads(data)
        except ValueError:
            event = None
    if isinstance(event, dict):
        tap.event(direction, event)
        return
    notice(tap, f"relayed a binary frame of {len(data)} bytes "
                f"({'app → server' if direction == 'out' else 'server → app'})")


def _tap_text(tap: Tap, direction: Direction, text: str) -> None:
    try:
        event: Any = json.loads(text)
    except ValueError:
        event = None
    if isinstance(event, dict):
        tap.event(direction, event)
    else:
        notice(tap, f"relayed a text frame that is not a JSON object ({len(text)} chars)",
               "warning")
