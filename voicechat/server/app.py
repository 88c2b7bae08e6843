"""The local Realtime-compatible server: configuration, routes, lifecycle.

Stable API (the client runtime embeds it for ``--server local`` and every client/UI test uses
it exactly like this)::

    from voicechat.server.app import LocalServer, ServerConfig

    async with LocalServer(ServerConfig(voice="tone", responder="echo")) as srv:
        srv.base_url   # "http://127.0.0.1:PORT"   (REST: f"{srv.base_url}/v1/realtime/calls")
        srv.ws_url     # "ws://127.0.0.1:PORT/v1"  (pass as the SDK's websocket_base_url)

    srv = LocalServer(cfg); await srv.start(); ...; await srv.stop()

``port=0`` (the default) binds a free port. ``asr_workers=1`` moves speech recognition into a
worker process: pocketsphinx's open-vocabulary decoder holds the GIL (~230 ms per 2 s utterance),
which an in-process embedding (the client's ``--server local``) feels as audio stalls.
``GET /healthz`` reports sessions, outgoing-audio pacing (frames, late frames, max lateness) and
the process's full garbage collections (count, longest pause, objects frozen out of them).
While running, the server's loggers scrub keys and ``ek_`` tokens from every line
(:mod:`voicechat.server.redact`); ``ServerConfig``'s repr leaves the key out.

Bounded against abuse (issue 14): a WebSocket client that stops reading is closed once
``send_queue_bytes`` of events wait for it (:mod:`~voicechat.server.send_queue`); WebRTC calls
are capped and the ones that never connect reaped (``call_limits``,
:mod:`~voicechat.server.call_limits`); the token store is bounded; client JSON nested deeper
than any real event is refused before anything recursive touches it
(:mod:`~voicechat.server.nesting`); a request with an ``Origin`` (a web page) needs an ``ek_``
key minted here unless its origin is in ``allow_origins``. ``/healthz`` counts slow readers shed.

Binding anything but loopback without ``api_key``
raises :class:`ServerConfigError`: an open Realtime endpoint on a LAN would let anyone use the
machine's voice pipeline (and, with a ``chat:`` responder, someone's model quota).

Endpoints (``docs/reference-notes.md``, "Endpoints"):

* GA: ``POST /v1/realtime/client_secrets``, ``POST /v1/realtime/calls`` (raw SDP or multipart
  ``sdp`` + ``session``; 201 + ``Location``), ``POST /v1/realtime/calls/{id}/hangup``.
* beta: ``POST /v1/realtime/sessions``, ``POST /v1/realtime/transcription_sessions``,
  ``POST /v1/realtime?model=`` (SDP).
* WebSocket ``GET /v1/realtime`` (GA; beta by header or subprotocol; ``?intent=transcription``;
  ``?call_id=`` attaches a sideband observer to a WebRTC call).
* Azure: ``/openai/realtime?api-version&deployment`` (beta WS), ``/openai/v1/realtime?model=``
  (GA WS), ``/openai/v1/realtime/client_secrets`` and ``/calls``, ``/openai/realtimeapi/sessions``
  and ``/v1/realtimertc`` (preview WebRTC).
* Provider personalities (:mod:`voicechat.server.personalities`): xAI at ``/v1/realtime?model=
  grok-…`` (and ``client_secrets`` minting for a grok session), Azure AI Voice Live at
  ``/voice-live/realtime?api-version&model`` (beta, ``api-key``).
* GPT-Live (:mod:`voicechat.server.live`): ``GET /v1/live/sessions`` (WebSocket, starts with
  ``session.start``), ``POST /v1/live/sessions`` (WebRTC, JSON with the SDP), ``GET
  …/{id}/attach`` (sideband), ``POST …/{id}/hangup``; the same under ``/openai/v1/live/sessions``
  (Azure).
* Gemini Live (:mod:`voicechat.server.gemini`): ``GET /ws/google.ai.generativelanguage.v1beta.
  GenerativeService.BidiGenerateContent`` (``?key=`` or ``x-goog-api-key``; ``v1``, the SDK's
  default, and ``v1alpha`` too),
  ``GET …v1alpha…BidiGenerateContentConstrained`` (ephemeral ``?access_token=`` or
  ``Authorization: Token``), ``POST /v1alpha/auth_tokens``.

``tls`` (an :class:`ssl.SSLContext`) serves everything over TLS instead (``https``/``wss``):
Google's SDK connects only with ``wss://`` (its live client rewrites the base URL's scheme), so
its tests and users give the server a certificate.

The handlers live with their transport (:mod:`~voicechat.server.minting`,
:mod:`~voicechat.server.calls`, :mod:`~voicechat.server.ws`) and see this server only through the
small Protocols of :mod:`voicechat.server.host`; this module keeps configuration, lifecycle and
the registry of sessions and calls.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from voicechat.protocol.dialect import Dialect
from voicechat.server import redact, ws
from voicechat.server.audio_out import AudioSink
from voicechat.server.auth import TokenStore
from voicechat.server.call_limits import CallLimits
from voicechat.server.calls import CallRoutes
from voicechat.server.engine import Engine
from voicechat.server.gc_pauses import GcPauses
from voicechat.server.gemini import routes as gemini_routes
from voicechat.server.gemini.conversation import Resumptions
from voicechat.server.gemini.credentials import EphemeralTokens
from voicechat.server.gemini.options import GeminiOptions
from voicechat.server.gemini.session import GeminiSession
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.http_util import cors_middleware, is_browser
from voicechat.server.live import routes as live_routes
from voicechat.server.live.engine import LiveEngine, LiveOptions
from voicechat.server.minting import MintingRoutes
from voicechat.server.options import EngineOptions
from voicechat.server.rate_limits import RateLimits

if TYPE_CHECKING:
    from voicechat.server.rtc import RtcCall  # aiortc: loaded at the first WebRTC call
from voicechat.server.send_queue import DEFAULT_LIMIT_BYTES as DEFAULT_SEND_QUEUE_BYTES
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")
JSON = dict[str, Any]


class ServerConfigError(ValueError):
    """A configuration the server refuses to run with (the message says how to fix it)."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0
    voice: str = "espeak"  # espeak | tone
    responder: str = "echo"  # echo | script:FILE | chat:URL
    api_key: str | None = field(default=None, repr=False)  # never in a repr or a log line
    asr_phrases: list[str] | None = None  # exact transcripts (pocketsphinx JSGF grammar)
    session_max_s: float = 3600.0  # the real API's 60 minutes; tests shorten it
    model: str = "gpt-realtime"  # reported when the client names none
    text_delta_interval_s: float = 0.02  # pace of streamed text deltas (see EngineOptions)
    ws_audio_speedup: float = 4.0  # WebSocket audio deltas at most this × real time
    #: Speech recognition in this many worker processes (0: a thread of this process). The
    #: open-vocabulary recogniser holds the GIL, so ``voicechat serve`` uses 1 to keep audio smooth.
    asr_workers: int = 0
    warm_up: bool = True  # load ASR/VAD/voice before serving (first turns then never stall)
    #: bytes of events that may wait for one WebSocket client before it is closed as not reading
    send_queue_bytes: int = DEFAULT_SEND_QUEUE_BYTES
    #: web origins trusted like native clients (any key as configured, minting too); any other
    #: request with an ``Origin`` header needs an ``ek_`` key minted here
    allow_origins: list[str] = field(default_factory=list)
    #: caps on WebRTC calls and the reaping of calls that never connect
    call_limits: CallLimits = field(default_factory=CallLimits)
    #: timeouts and the output cap of hosted MCP tools (see hosted_mcp/limits.py)
    mcp_limits: McpLimits = field(default_factory=McpLimits)
    #: GPT-Live sessions: their life (2 h observed on the real service) and usage reports
    live_session_max_s: float = 7200.0
    live_usage_interval_s: float = 15.0
    #: GPT-Live streams silence between utterances (exact zeros); off only to debug
    live_output_silence: bool = True
    #: GPT-Live: the model answers a session-wide instructions append when it is not speaking
    #: (see LiveOptions.answer_instructions, on by default); off: appends are silent context
    live_answer_instructions: bool = True
    #: Gemini Live: a connection's life, ending in goAway then close 1011 "Deadline expired…"
    #: (``voicechat serve --gemini-connection-s``; the real service: about 10 minutes)
    gemini_connection_s: float = 600.0
    #: Gemini Live: goAway comes this long before the end (or at half the life, if sooner)
    gemini_go_away_lead_s: float = 10.0
    #: serve over TLS (https/wss) with this context: Google's SDK connects only with wss://
    tls: ssl.SSLContext | None = field(default=None, repr=False)
    #: the xAI personality (``/v1/realtime?model=grok-…``) sends ``session.created`` after
    #: ``conversation.created``; off replays early 2026, when xAI never sent it
    xai_session_created: bool = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalServer:
    """An aiohttp + aiortc server speaking the Realtime protocol (see the module docstring).

    It is the host every handler module's Protocol describes (:mod:`voicechat.server.host`).
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.tokens = TokenStore(api_key=self.config.api_key)
        self.kit = VoiceKit(
            self.config.voice,
            self.config.responder,
            self.config.asr_phrases,
            asr_workers=self.config.asr_workers,
        )
        self.calls: dict[str, RtcCall] = {}
        self.engines: set[Engine] = set()
        #: GPT-Live sessions by id (either transport) and its WebRTC calls (server/live/)
        self.live_sessions: dict[str, LiveEngine] = {}
        self.live_rtc_calls: dict[str, Any] = {}
        #: Gemini Live connections by id, conversations by resumption handle, minted tokens
        self.gemini_sessions: dict[str, GeminiSession] = {}
        self.gemini_resumptions = Resumptions(self.gemini_options().handle_ttl_s)
        self.gemini_tokens = EphemeralTokens()
        self.audio_stats: dict[str, float] = {"frames": 0, "late_frames": 0, "underrun_frames": 0,
                                              "max_lateness_ms": 0.0}
        self._runner: web.AppRunner | None = None
        self._log_filter: redact.SecretFilter | None = None
        #: one set of limits for every session, as the real limits are per project
        self.rate_limits = RateLimits()
        #: WebSocket clients shed for not reading, the most bytes one queue held (``/healthz``)
        self.counters: dict[str, int] = {"slow_readers_closed": 0, "send_queue_peak_bytes": 0}
        #: full garbage collections and their longest pause (``/healthz``)
        self.gc_pauses = GcPauses()
        self.port = self.config.port

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        scheme = "https" if self.config.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url.removeprefix("http") + "/v1"

    @property
    def session_count(self) -> int:
        return (len(self.engines) + len(self.calls) + len(self.live_sessions)
                + len(self.gemini_sessions))

    async def start(self) -> None:
        if not is_loopback(self.config.host) and not self.config.api_key:
            raise ServerConfigError(
                f"Refusing to listen on {self.config.host} without an API key: anyone who can "
                "reach it could use this server. Pass --api-key-file FILE (or set "
                "VOICECHAT_SERVER_API_KEY), or bind 127.0.0.1."
            )
        if self.config.voice not in ("espeak", "tone"):
            raise ServerConfigError(
                f"Unknown voice {self.config.voice!r}: choose 'espeak' (speech) or 'tone' (beeps)."
            )
        if self._log_filter is None:
            self._log_filter = redact.install([self.config.api_key or ""])
        self.gc_pauses.install()
        self.kit.check()
        self.kit.start_pool()
        if self.config.warm_up:
            await asyncio.get_running_loop().run_in_executor(None, self.kit.warm_up)
        if is_loopback(self.config.host):
            from voicechat.rtc.loopback import use_loopback_ice

            use_loopback_ice()
        app = web.Application(
            middlewares=[cors_middleware(frozenset(self.config.allow_origins))],
            client_max_size=ws.MAX_MESSAGE_BYTES + 1024 * 1024,
        )
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port,
                           ssl_context=self.config.tls)
        await site.start()
        addresses = self._runner.addresses  # (host, port, ...) of every bound socket
        if addresses:
            self.port = int(addresses[0][1])
        log.info("voicechat server listening on %s", self.base_url)

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            await call.close()
        for engine in list(self.engines):
            await engine.close()
        for live_call in list(self.live_rtc_calls.values()):
            await live_call.close()
        for live in list(self.live_sessions.values()):
            await live.close()
        for gemini in list(self.gemini_sessions.values()):
            await gemini.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.kit.stop_pool()
        self.gc_pauses.uninstall()
        if self._log_filter is not None:
            redact.uninstall(self._log_filter)
            self._log_filter = None

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- the host the handlers see ------------------------------------------------------------

    @property
    def default_model(self) -> str:
        return self.config.model

    def is_browser(self, headers: Mapping[str, str]) -> bool:
        return is_browser(headers, self.config.allow_origins)

    @property
    def call_limits(self) -> CallLimits:
        return self.config.call_limits

    def live_calls(self) -> Iterable[RtcCall]:
        return self.calls.values()

    @property
    def ws_audio_speedup(self) -> float:
        return self.config.ws_audio_speedup

    @property
    def xai_session_created(self) -> bool:
        return self.config.xai_session_created

    @property
    def send_queue_bytes(self) -> int:
        return self.config.send_queue_bytes

    def send_queue_report(self, *, peak_bytes: int, shed: bool) -> None:
        self.counters["slow_readers_closed"] += shed
        self.counters["send_queue_peak_bytes"] = max(
            self.counters["send_queue_peak_bytes"], peak_bytes
        )

    def live_options(self) -> LiveOptions:
        return LiveOptions(session_max_s=self.config.live_session_max_s,
                           usage_interval_s=self.config.live_usage_interval_s,
                           output_silence=self.config.live_output_silence,
                           answer_instructions=self.config.live_answer_instructions)

    def gemini_options(self) -> GeminiOptions:
        return GeminiOptions(connection_lifetime_s=self.config.gemini_connection_s,
                             go_away_lead_s=self.config.gemini_go_away_lead_s)

    def engine_options(self) -> EngineOptions:
        return EngineOptions(
            session_max_s=self.config.session_max_s,
            text_delta_interval_s=self.config.text_delta_interval_s,
            ws_audio_speedup=self.config.ws_audio_speedup,
            rate_limits=self.rate_limits,
            mcp_limits=self.config.mcp_limits,
        )

    def new_engine(
        self,
        *,
        emit: Callable[[JSON], None],
        dialect: Dialect,
        session: JSON,
        sink: AudioSink,
        on_expired: Callable[[], Any],
        session_max_s: float | None = None,
    ) -> Engine:
        options = self.engine_options()
        if session_max_s is not None:
            options.session_max_s = min(options.session_max_s, session_max_s)
        return Engine(
            emit=emit,
            dialect=dialect,
            session=session,
            kit=self.kit,
            sink=sink,
            options=options,
            on_expired=on_expired,
        )

    def session_opened(self, engine: Engine) -> None:
        self.engines.add(engine)

    def session_closed(self, engine: Engine) -> None:
        self.engines.discard(engine)

    def new_call(self, *, dialect: Dialect, azure: bool, session: JSON) -> RtcCall:
        from voicechat.server.rtc import RtcCall  # aiortc, PyAV: ~0.6 s of CPU, WebRTC only

        return RtcCall(
            dialect=dialect,
            azure=azure,
            session=session,
            kit=self.kit,
            options=self.engine_options(),
            on_closed=self._call_closed,
        )

    def add_call(self, call: RtcCall) -> None:
        self.calls[call.id] = call

    def find_call(self, call_id: str) -> RtcCall | None:
        return self.calls.get(call_id)

    def _call_closed(self, call: RtcCall) -> None:
        self.calls.pop(call.id, None)
        self.audio_stats = _add_track_stats(self.audio_stats, call.track)

    # --- routes -------------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        router = app.router
        ws.add_routes(router, self)
        live_routes.add_routes(router, self)
        gemini_routes.add_routes(router, self)
        CallRoutes(self).add_to(router)
        MintingRoutes(self).add_to(router)
        router.add_get("/healthz", self._health)

    async def _health(self, request: web.Request) -> web.Response:
        """Liveness plus outgoing-audio pacing figures (the load benchmark reads them)."""
        if request.query.get("reset_max") == "1":  # benchmark hook: per-window maximum
            self.audio_stats["max_lateness_ms"] = 0.0
            self.gc_pauses.reset_longest()
            for call in self.calls.values():
                call.track.max_lateness_ms = 0.0
        stats = dict(self.audio_stats)
        for call in self.calls.values():
            stats = _add_track_stats(stats, call.track)
        return web.json_response(
            {
                "status": "ok",
                "sessions": self.session_count,
                "audio": stats,
                "counters": dict(self.counters),
                "gc": self.gc_pauses.figures(),
            }
        )


def _add_track_stats(stats: dict[str, float], track: Any) -> dict[str, float]:
    return {
        "frames": stats["frames"] + track.frames_sent,
        "late_frames": stats["late_frames"] + track.late_frames,
        "underrun_frames": stats["underrun_frames"] + track.underrun_frames,
        "max_lateness_ms": round(max(stats["max_lateness_ms"], track.max_lateness_ms), 2),
    }
