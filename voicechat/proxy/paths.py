"""The paths the proxy serves: the Realtime WebSocket endpoints and the REST calls around them.

Anything else gets a 404 naming these, so a client pointed at the proxy by mistake (a chat
completions app, a typo in the base URL) learns what it is talking to instead of getting a
silent pass-through to a paid API.
"""

from __future__ import annotations

import re

#: WebSocket endpoints (GA, Azure beta, Azure GA); POST on ``/v1/realtime`` is the beta SDP.
WS_PATHS = ("/v1/realtime", "/openai/realtime", "/openai/v1/realtime")

_CALL_ACTIONS = "hangup|accept|reject|refer"
_REST = [
    r"/v1/realtime",  # beta WebRTC SDP offer
    r"/v1/realtimertc",
    r"/v1/realtime/client_secrets",
    r"/v1/realtime/sessions",
    r"/v1/realtime/transcription_sessions",
    r"/v1/realtime/calls",
    rf"/v1/realtime/calls/[^/]+/({_CALL_ACTIONS})",
    r"/openai/realtime",
    r"/openai/realtimeapi/sessions",
    r"/openai/realtimeapi/webrtc",
    r"/openai/v1/realtime",
    r"/openai/v1/realtime/client_secrets",
    r"/openai/v1/realtime/calls",
    rf"/openai/v1/realtime/calls/[^/]+/({_CALL_ACTIONS})",
]
_REST_RE = re.compile("|".join(f"(?:{p})" for p in _REST))
_CALLS_RE = re.compile(r"(?:/openai)?/v1/realtime/calls")

#: What the 404 lists (the call actions as one readable pattern).
SERVED = (
    "GET (WebSocket) " + ", ".join(WS_PATHS) + "; POST /v1/realtime/client_secrets, "
    "/v1/realtime/sessions, /v1/realtime/transcription_sessions, /v1/realtime/calls, "
    f"/v1/realtime/calls/{{call_id}}/{{{_CALL_ACTIONS.replace('|', ',')}}}, "
    "/v1/realtime (beta SDP), and the Azure forms under /openai/realtime, "
    "/openai/realtimeapi/sessions and /openai/v1/realtime/..."
)


def is_websocket_path(path: str) -> bool:
    return path.rstrip("/") in WS_PATHS


def is_rest_path(path: str) -> bool:
    return _REST_RE.fullmatch(path.rstrip("/") or "/") is not None


def is_call_offer(path: str) -> bool:
    """A GA SDP offer: its answer's ``Location`` names the call a sideband can attach to."""
    return _CALLS_RE.fullmatch(path.rstrip("/")) is not None


def call_id_from_location(location: str) -> str | None:
    """``/v1/realtime/calls/rtc_123`` (or an absolute URL ending so) → ``rtc_123``."""
    tail = location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return tail or None
