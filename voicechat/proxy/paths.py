"""The paths the proxy serves: the Realtime and GPT-Live WebSocket endpoints and the REST calls
around them.

GPT-Live (``/v1/live/sessions``) uses one path for the primary WebSocket (``GET``, upgraded)
and the WebRTC create (``POST`` JSON with the SDP inside); a session's sideband is
``…/{session_id}/attach`` and a stored session's fork ``…/{session_id}/fork`` (WebSocket or
``POST``). Azure serves them under ``/openai/v1/live/sessions`` (its repo docs also write
``/openai/v1/live``; both are served, like the local server does).

Anything else gets a 404 naming these, so a client pointed at the proxy by mistake (a chat
completions app, a typo in the base URL) learns what it is talking to instead of getting a
silent pass-through to a paid API.
"""

from __future__ import annotations

import re

from voicechat.protocol.gemini import names as gemini_names
from voicechat.protocol.providers import PROFILES, VOICE_LIVE

#: WebSocket endpoints (GA, Azure beta, Azure GA); POST on ``/v1/realtime`` is the beta SDP.
WS_PATHS = ("/v1/realtime", "/openai/realtime", "/openai/v1/realtime")
#: The other providers' WebSocket paths: Voice Live's (from its profile; xAI's is
#: ``/v1/realtime``, told apart by its ``grok-`` model) and Gemini Live's, Google's own.
VOICE_LIVE_PATHS = (PROFILES[VOICE_LIVE].ws_path,)
GEMINI_PATHS = (gemini_names.PATH, gemini_names.ALPHA_PATH, gemini_names.V1_PATH,
                gemini_names.CONSTRAINED_PATH)
#: GPT-Live's session paths (OpenAI, Azure published, Azure repo copy).
LIVE_PATHS = ("/v1/live/sessions", "/openai/v1/live/sessions", "/openai/v1/live")
_LIVE = "(?:/v1/live/sessions|/openai/v1/live/sessions|/openai/v1/live)"
_LIVE_WS_RE = re.compile(rf"{_LIVE}(?:/[A-Za-z0-9_-]{{1,200}}/(?:attach|fork))?")
_LIVE_CREATE_RE = re.compile(_LIVE)
_LIVE_ACTIONS = "hangup|accept|reject|refer|fork"

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
    _LIVE,  # GPT-Live's WebRTC create
    rf"{_LIVE}/[^/]+/({_LIVE_ACTIONS})",
]
_REST_RE = re.compile("|".join(f"(?:{p})" for p in _REST))
_CALLS_RE = re.compile(r"(?:/openai)?/v1/realtime/calls")

#: What the 404 lists (the call actions as one readable pattern).
SERVED = (
    "GET (WebSocket) " + ", ".join(WS_PATHS) + "; POST /v1/realtime/client_secrets, "
    "/v1/realtime/sessions, /v1/realtime/transcription_sessions, /v1/realtime/calls, "
    f"/v1/realtime/calls/{{call_id}}/{{{_CALL_ACTIONS.replace('|', ',')}}}, "
    "/v1/realtime (beta SDP), and the Azure forms under /openai/realtime, "
    "/openai/realtimeapi/sessions and /openai/v1/realtime/...; GPT-Live: GET (WebSocket) "
    "/v1/live/sessions, /v1/live/sessions/{id}/attach and /fork, POST /v1/live/sessions "
    f"(WebRTC create) and /v1/live/sessions/{{id}}/{{{_LIVE_ACTIONS.replace('|', ',')}}}, and "
    "the same under /openai/v1/live/sessions; Voice Live: GET (WebSocket) "
    + ", ".join(VOICE_LIVE_PATHS) + "; Gemini Live: GET (WebSocket) " + ", ".join(GEMINI_PATHS)
)


def is_websocket_path(path: str) -> bool:
    bare = path.rstrip("/")
    return (bare in WS_PATHS or bare in VOICE_LIVE_PATHS or is_gemini_path(path)
            or is_live_path(path))


def is_gemini_path(path: str) -> bool:
    """A Gemini Live WebSocket (frames keyed by message, not by ``type``)."""
    return path.rstrip("/") in GEMINI_PATHS


def is_live_path(path: str) -> bool:
    """A GPT-Live WebSocket: a primary session, a sideband attach or a fork."""
    return _LIVE_WS_RE.fullmatch(path.rstrip("/")) is not None


def is_live_create(path: str) -> bool:
    """GPT-Live's WebRTC create (``POST``): its answer names the session a sideband attaches
    to (``session.id`` in the JSON body; there is no ``Location``)."""
    return _LIVE_CREATE_RE.fullmatch(path.rstrip("/")) is not None


def live_prefix(path: str) -> str:
    """The session path a create was made on, for its sideband's URL."""
    return next(p for p in sorted(LIVE_PATHS, key=len, reverse=True)
                if path.rstrip("/").startswith(p))


def is_rest_path(path: str) -> bool:
    return _REST_RE.fullmatch(path.rstrip("/") or "/") is not None


def is_call_offer(path: str) -> bool:
    """A GA SDP offer: its answer's ``Location`` names the call a sideband can attach to."""
    return _CALLS_RE.fullmatch(path.rstrip("/")) is not None


def call_id_from_location(location: str) -> str | None:
    """``/v1/realtime/calls/rtc_123`` (or an absolute URL ending so) → ``rtc_123``."""
    tail = location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return tail or None
