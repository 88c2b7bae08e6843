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
``GET /healthz`` reports sessions and outgoing-audio pacing (frames, late frames, max lateness).
While running, the server's loggers scrub keys and ``ek_`` tokens from every line
(:mod:`voicechat.server.redact`); ``ServerConfig``'s repr leaves the key out.

Binding anything but loopback without ``api_key``
raises :class:`ServerConfigError`: an open Realtime endpoint on a LAN would let anyone use the
machine's voice pipeline (and, with a ``chat:`` responder, someone's model quota).

Endpoints (``realtime-protocol.md`` §2, §8, §10):

* GA: ``POST /v1/realtime/client_secrets``, ``POST /v1/realtime/calls`` (raw SDP or multipart
  ``sdp`` + ``session``; 201 + ``Location``), ``POST /v1/realtime/calls/{id}/hangup``.
* beta: ``POST /v1/realtime/sessions``, ``POST /v1/realtime/transcription_sessions``,
  ``POST /v1/realtime?model=`` (SDP).
* WebSocket ``GET /v1/realtime`` (GA; beta by header or subprotocol; ``?intent=transcription``;
  ``?call_id=`` attaches a sideband observer to a WebRTC call).
* Azure: ``/openai/realtime?api-version&deployment`` (beta WS), ``/openai/v1/realtime?model=``
  (GA WS), ``/openai/v1/realtime/client_secrets`` and ``/calls``, ``/openai/realtimeapi/sessions``
  and ``/v1/realtimertc`` (preview WebRTC).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import session_to_beta, session_to_ga
from voicechat.server import redact, sessions
from voicechat.server.auth import (
    BETA_TTL_S,
    GA_DEFAULT_TTL_S,
    TokenStore,
    credential_from,
    ttl_from,
)
from voicechat.server.bridge import EventBridge
from voicechat.server.engine import Engine, EngineOptions
from voicechat.server.http_util import auth_error, cors_middleware, error_response
from voicechat.server.rate_limits import RateLimits
from voicechat.server.rtc import RtcCall
from voicechat.server.voicekit import VoiceKit
from voicechat.server.ws import MAX_MESSAGE_BYTES, websocket_handler

log = logging.getLogger("voicechat.server")


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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalServer:
    """An aiohttp + aiortc server speaking the Realtime protocol (see the module docstring)."""

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
        self.audio_stats: dict[str, float] = {"frames": 0, "late_frames": 0, "max_lateness_ms": 0.0}
        self._runner: web.AppRunner | None = None
        self._log_filter: redact.SecretFilter | None = None
        #: one set of limits for every session, as the real limits are per project
        self.rate_limits = RateLimits()
        self.port = self.config.port

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/v1"

    @property
    def session_count(self) -> int:
        return len(self.engines) + len(self.calls)

    async def start(self) -> None:
        if not is_loopback(self.config.host) and not self.config.api_key:
            raise ServerConfigError(
                f"Refusing to listen on {self.config.host} without an API key: anyone who can "
                "reach it could use this server. Pass --api-key KEY (or set "
                "VOICECHAT_SERVER_KEY), or bind 127.0.0.1."
            )
        if self.config.voice not in ("espeak", "tone"):
            raise ServerConfigError(
                f"Unknown voice {self.config.voice!r}: choose 'espeak' (speech) or 'tone' (beeps)."
            )
        if self._log_filter is None:
            self._log_filter = redact.install([self.config.api_key or ""])
        self.kit.check()
        self.kit.start_pool()
        if self.config.warm_up:
            await asyncio.get_running_loop().run_in_executor(None, self.kit.warm_up)
        if is_loopback(self.config.host):
            from voicechat.rtc.loopback import use_loopback_ice

            use_loopback_ice()
        app = web.Application(
            middlewares=[cors_middleware], client_max_size=MAX_MESSAGE_BYTES + 1024 * 1024
        )
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("voicechat server listening on %s", self.base_url)

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            await call.close()
        for engine in list(self.engines):
            await engine.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.kit.stop_pool()
        if self._log_filter is not None:
            redact.uninstall(self._log_filter)
            self._log_filter = None

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def engine_options(self) -> EngineOptions:
        return EngineOptions(
            session_max_s=self.config.session_max_s,
            text_delta_interval_s=self.config.text_delta_interval_s,
            ws_audio_speedup=self.config.ws_audio_speedup,
            rate_limits=self.rate_limits,
        )

    def track_session(self, engine: Engine) -> None:
        self.engines.add(engine)

    def untrack_session(self, engine: Engine) -> None:
        self.engines.discard(engine)

    # --- routes -------------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        r = app.router
        ws = self._ws
        r.add_get("/v1/realtime", ws)
        r.add_get("/openai/realtime", ws)
        r.add_get("/openai/v1/realtime", ws)
        r.add_post("/v1/realtime", self._beta_sdp)
        r.add_post("/v1/realtimertc", self._beta_sdp)
        r.add_post("/v1/realtime/calls", self._ga_calls)
        r.add_post("/openai/v1/realtime/calls", self._ga_calls)
        r.add_post("/v1/realtime/calls/{call_id}/hangup", self._hangup)
        r.add_post("/openai/v1/realtime/calls/{call_id}/hangup", self._hangup)
        r.add_post("/v1/realtime/client_secrets", self._client_secrets)
        r.add_post("/openai/v1/realtime/client_secrets", self._client_secrets)
        r.add_post("/v1/realtime/sessions", self._beta_sessions)
        r.add_post("/openai/realtimeapi/sessions", self._beta_sessions)
        r.add_post("/v1/realtime/transcription_sessions", self._beta_transcription_sessions)
        r.add_get("/healthz", self._health)
        r.add_route("OPTIONS", "/{tail:.*}", self._options)

    async def _options(self, request: web.Request) -> web.Response:
        return web.Response(status=204)  # the CORS middleware answers preflights

    async def _health(self, request: web.Request) -> web.Response:
        """Liveness plus outgoing-audio pacing figures (the load benchmark reads them)."""
        if request.query.get("reset_max") == "1":  # benchmark hook: per-window maximum
            self.audio_stats["max_lateness_ms"] = 0.0
            for call in self.calls.values():
                call.track.max_lateness_ms = 0.0
        stats = dict(self.audio_stats)
        for call in self.calls.values():
            stats = _add_track_stats(stats, call.track)
        return web.json_response({"status": "ok", "sessions": self.session_count, "audio": stats})

    def _call_closed(self, call: RtcCall) -> None:
        self.calls.pop(call.id, None)
        self.audio_stats = _add_track_stats(self.audio_stats, call.track)

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        return await websocket_handler(request, self)

    # --- token minting ------------------------------------------------------------------------

    async def _json_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not request.can_read_body:
            return {}
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError as exc:
            return error_response(
                400,
                f"We could not parse the JSON body of your request. ({exc})",
                code="invalid_json",
            )
        if not isinstance(body, dict):
            return error_response(400, "The request body must be a JSON object.")
        return body

    def _check_minter(self, request: web.Request) -> web.Response | None:
        result = self.tokens.check_key(credential_from(request.headers, request.query))
        return None if result.ok else auth_error(result.reason)

    def _validate_session(
        self, session: dict[str, Any], dialect: Dialect, *, azure: bool, transcription: bool = False
    ) -> web.Response | None:
        kind = "transcription_session.update" if transcription else "session.update"
        problem = EventBridge(dialect, azure=azure).check({"type": kind, "session": session})
        if problem is None:
            return None
        return error_response(400, problem.message, code=problem.code, param=problem.param)

    async def _mint_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The JSON body of a token-minting request, or the error response (401/400) to send."""
        denied = self._check_minter(request)
        if denied:
            return denied
        return await self._json_body(request)

    async def _client_secrets(self, request: web.Request) -> web.Response:
        body = await self._mint_body(request)
        if isinstance(body, web.Response):
            return body
        ttl = ttl_from(body, GA_DEFAULT_TTL_S)
        if isinstance(ttl, str):
            return error_response(400, ttl, param="expires_after.seconds")
        requested = body.get("session") or {"type": "realtime"}
        if not isinstance(requested, dict):
            return error_response(400, "Invalid type for 'session': expected an object.")
        azure = request.path.startswith("/openai/")
        problem = self._validate_session(requested, Dialect.GA, azure=azure)
        if problem:
            return problem
        session = sessions.session_from_request(self.config.model, requested)
        token, expires_at = self.tokens.mint(session, Dialect.GA, ttl)
        session["expires_at"] = expires_at
        return web.json_response({"value": token, "expires_at": expires_at, "session": session})

    async def _beta_sessions(self, request: web.Request) -> web.Response:
        return await self._beta_mint(request, transcription=False)

    async def _beta_transcription_sessions(self, request: web.Request) -> web.Response:
        return await self._beta_mint(request, transcription=True)

    async def _beta_mint(self, request: web.Request, *, transcription: bool) -> web.Response:
        body = await self._mint_body(request)
        if isinstance(body, web.Response):
            return body
        ttl = ttl_from(body, BETA_TTL_S)
        if isinstance(ttl, str):
            return error_response(400, ttl, param="client_secret.expires_after.seconds")
        flat = {k: v for k, v in body.items() if k not in ("model", "client_secret", "include")}
        azure = request.path.startswith("/openai/")
        problem = self._validate_session(
            flat, Dialect.BETA, azure=azure, transcription=transcription
        )
        if problem:
            return problem
        model = str(body.get("model") or self.config.model)
        requested = session_to_ga(flat, transcription=transcription)
        session = sessions.session_from_request(model, requested, transcription=transcription)
        token, expires_at = self.tokens.mint(session, Dialect.BETA, ttl)
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

    # --- WebRTC -------------------------------------------------------------------------------

    async def _read_offer(
        self, request: web.Request
    ) -> tuple[str, dict[str, Any] | None] | web.Response:
        ctype = request.content_type
        if ctype == "application/sdp":
            return await request.text(), None
        if ctype.startswith("multipart/"):
            sdp: str | None = None
            session: dict[str, Any] | None = None
            reader = await request.multipart()
            async for part in reader:
                name = getattr(part, "name", None)
                text = await part.text()  # type: ignore[union-attr]
                if name == "sdp":
                    sdp = text
                elif name == "session":
                    try:
                        parsed = json.loads(text)
                    except ValueError as exc:
                        return error_response(
                            400, f"The 'session' part is not valid JSON ({exc}).", param="session"
                        )
                    if not isinstance(parsed, dict):
                        return error_response(400, "The 'session' part must be a JSON object.")
                    session = parsed
            if sdp is None:
                return error_response(
                    400, "Missing required parameter: 'sdp'.", code="missing_required_parameter"
                )
            return sdp, session
        return error_response(
            400,
            f"Unsupported content type {ctype!r}: send the SDP offer as 'application/sdp' "
            "(or multipart/form-data with 'sdp' and 'session' parts).",
        )

    async def _ga_calls(self, request: web.Request) -> web.Response:
        return await self._sdp_exchange(request, Dialect.GA)

    async def _beta_sdp(self, request: web.Request) -> web.Response:
        return await self._sdp_exchange(request, Dialect.BETA)

    async def _sdp_exchange(self, request: web.Request, dialect: Dialect) -> web.Response:
        result = self.tokens.check(credential_from(request.headers, request.query))
        if not result.ok:
            return auth_error(result.reason)
        offer = await self._read_offer(request)
        if isinstance(offer, web.Response):
            return offer
        sdp, requested = offer
        if "m=" not in sdp:
            return error_response(400, "The body is not an SDP offer (no media sections).")
        azure = request.path.startswith("/openai/") or request.path == "/v1/realtimertc"
        model = request.query.get("model") or self.config.model
        if requested is not None:
            problem = self._validate_session(requested, Dialect.GA, azure=azure)
            if problem:
                return problem
            session = sessions.session_from_request(model, requested)
        elif result.grant is not None:
            session = sessions.session_from_request(model, result.grant.session)
        else:
            session = sessions.default_session(model)
        call = RtcCall(
            dialect=dialect,
            azure=azure,
            session=session,
            kit=self.kit,
            options=self.engine_options(),
            on_closed=self._call_closed,
        )
        try:
            answer = await call.answer(sdp)
        except Exception as exc:
            await call.close()
            return error_response(400, f"Could not use the SDP offer: {exc}")
        self.calls[call.id] = call
        log.info(
            "session %s opened: webrtc %s%s model=%s call=%s peer=%s",
            session.get("id"),
            dialect.value,
            " azure" if azure else "",
            model,
            call.id,
            request.remote,
        )
        location = request.path.rstrip("/")
        if not location.endswith("/calls"):
            location = "/v1/realtime/calls"
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": f"{location}/{call.id}"},
        )

    async def _hangup(self, request: web.Request) -> web.Response:
        result = self.tokens.check(credential_from(request.headers, request.query))
        if not result.ok:
            return auth_error(result.reason)
        call = self.calls.get(request.match_info["call_id"])
        if call is None:
            return error_response(404, "No call with that id.", code="not_found", param="call_id")
        await call.close()
        return web.Response(status=200)

    async def attach_sideband(
        self, request: web.Request, call_id: str, offered: list[str]
    ) -> web.StreamResponse:
        """``GET /v1/realtime?call_id=``: a GA socket that sees and can drive a WebRTC call."""
        call = self.calls.get(call_id)
        if call is None:
            return error_response(404, "No call with that id.", code="not_found", param="call_id")
        ws = web.WebSocketResponse(protocols=("realtime",), max_msg_size=MAX_MESSAGE_BYTES)
        await ws.prepare(request)
        bridge = EventBridge(Dialect.GA)
        queue: asyncio.Queue[str] = asyncio.Queue()

        def listen(event: dict[str, Any]) -> None:
            text = bridge.outgoing(event)
            if text is not None:
                queue.put_nowait(text)

        async def writer() -> None:
            while True:
                await ws.send_str(await queue.get())

        remove = call.add_listener(listen)
        task = asyncio.ensure_future(writer())
        try:
            async for msg in ws:
                if msg.type.name == "TEXT":
                    await bridge.incoming(msg.data, call.engine)
                elif msg.type.name == "ERROR":
                    break
        finally:
            remove()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return ws


def _add_track_stats(stats: dict[str, float], track: Any) -> dict[str, float]:
    return {
        "frames": stats["frames"] + track.frames_sent,
        "late_frames": stats["late_frames"] + track.late_frames,
        "max_lateness_ms": round(max(stats["max_lateness_ms"], track.max_lateness_ms), 2),
    }
