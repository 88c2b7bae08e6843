"""The proxy server: one aiohttp app that routes each request to the relay or the forwarder.

It owns what outlives a request: the upstream client session, the numbering of observed
sessions, the taps of sessions still open (closed ``by="proxy"`` when it stops), and the
sideband watchers it attached to calls whose SDP offer it forwarded.

Observed sessions: ``ws-N`` for each app WebSocket, ``call ID`` for each auto-attached sideband,
and ``proxy`` for the proxy's own lines (REST calls passed through, refusals and drops), so
everything the proxy has to say reaches the UI and the printer through the one feed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from voicechat.eventlog.record import Direction
from voicechat.observe.feed import ClosedBy, ObserverFeed, SessionKind
from voicechat.observe.sideband import Sideband, SidebandError, attach, valid_call_id
from voicechat.observe.tap import Tap, notice
from voicechat.observe.upstream import Upstream
from voicechat.protocol.secrets import redact_text
from voicechat.proxy.errors import error_response
from voicechat.proxy.headers import credentials_only
from voicechat.proxy.paths import (
    SERVED,
    call_id_from_location,
    is_call_offer,
    is_rest_path,
    is_websocket_path,
    live_prefix,
)
from voicechat.proxy.relay import relay
from voicechat.proxy.rest import LiveCreate, Passed, forward

#: session id → its tap (the command builds a ``SessionTap`` on the shared feed and clock).
TapFactory = Callable[[str], Tap]
PROXY_SESSION = "proxy"


class RealtimeProxy:
    """``voicechat proxy``'s server: start, serve until stopped, stop."""

    def __init__(self, upstream: Upstream, feed: ObserverFeed, make_tap: TapFactory,
                 clock: Callable[[], float], *, host: str = "127.0.0.1", port: int = 8766) -> None:
        self.upstream = upstream
        self._feed = feed
        self._make_tap = make_tap
        self._clock = clock
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._open: dict[str, Tap] = {}
        self._watchers: set[asyncio.Task[None]] = set()
        self._ws_count = 0
        self._calls_seen = 0
        self.port = port

    @property
    def base_url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=15), auto_decompress=False
        )
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await self.stop()
            raise
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        """Detach every watcher, close what is still open (``by="proxy"``), free the port."""
        for task in list(self._watchers):
            task.cancel()
        for task in list(self._watchers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for session, tap in list(self._open.items()):
            if session != PROXY_SESSION:
                tap.close("proxy", "the proxy stopped")
        self._open.clear()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- observed sessions ------------------------------------------------------------------

    def _open_session(self, session: str, label: str, kind: SessionKind) -> Tap:
        tap = self._make_tap(session)
        tap.open(label, kind)
        self._open[session] = tap
        return tap

    def _closed(self, session: str) -> None:
        self._open.pop(session, None)

    def say(self, message: str, level: str = "warning") -> None:
        """A line of the proxy's own, through the feed (redacted like every event)."""
        notice(self._rest_tap(), redact_text(message), level)

    @property
    def sessions_seen(self) -> int:
        """WebSocket sessions and watched calls so far (the closing summary counts them)."""
        return self._ws_count + self._calls_seen

    def _rest_tap(self) -> Tap:
        tap = self._open.get(PROXY_SESSION)
        if tap is None:
            tap = self._open_session(PROXY_SESSION, f"proxy {self.base_url} → {self.upstream.base}",
                                     "rest")
        return tap

    def _open_ws(self, label: str) -> Tap:
        self._ws_count += 1
        session = f"ws-{self._ws_count}"
        tap = self._open_session(session, f"{session} {label}", "websocket")
        return _Closing(tap, lambda: self._closed(session))

    # -- routing ----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        path = request.path
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if upgrade and request.method == "GET" and is_websocket_path(path):
            return await relay(request, self.upstream, self._http, self._open_ws, self.say)
        if is_rest_path(path):
            credentials = credentials_only(request.headers)

            def done(passed: Passed) -> None:
                self._passed(passed, credentials)

            return await forward(request, self.upstream, self._http, self.say, done)
        return error_response(
            404, f"voicechat proxy serves only the Realtime and GPT-Live APIs; {request.method} "
            f"{path} is not "
            f"one of its paths. It serves: {SERVED}.", code="not_found",
            kind="invalid_request_error",
        )

    def _passed(self, passed: Passed, credentials: dict[str, str]) -> None:
        self._rest_tap().event("local", {
            "type": "local.proxy.http", "method": passed.method, "path": passed.path,
            "status": passed.status,
        })
        if passed.live is not None:
            self._live_created(passed, passed.live, credentials)
            return
        if passed.method != "POST" or not is_call_offer(passed.path) or passed.status >= 300:
            return
        call_id = call_id_from_location(passed.location or "")
        if call_id is None or not valid_call_id(call_id):
            self.say(f"a call was answered ({passed.path}) without a usable Location header: "
                     "its events cannot be watched")
            return
        prefix = "/openai/v1" if passed.path.startswith("/openai/") else "/v1"
        task = asyncio.create_task(self._watch_call(call_id, prefix, credentials))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    def _live_created(self, passed: Passed, live: LiveCreate,
                      credentials: dict[str, str]) -> None:
        """A GPT-Live WebRTC create: watch the session it started through its sideband, its
        config recorded first (``local.proxy.live_create``, which the doctor checks); a
        refusal is said in the server's words."""
        if passed.status >= 300 or live.session_id is None or not valid_call_id(
                live.session_id):
            message = (live.error or {}).get("message") or f"status {passed.status}"
            self.say(f"GPT-Live session create refused ({passed.path}): {message}")
            if live.config is not None:
                self._rest_tap().event("local", {
                    "type": "local.proxy.live_create", "status": passed.status,
                    "session": live.config, "error": live.error})
            return
        first = {"type": "local.proxy.live_create", "status": passed.status,
                 "session_id": live.session_id, "session": live.config}
        path = f"{live_prefix(passed.path)}/{live.session_id}/attach"
        task = asyncio.create_task(self._watch_call(live.session_id, path, credentials,
                                                    first=first))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _watch_call(self, call_id: str, prefix: str, credentials: dict[str, str],
                          first: dict[str, Any] | None = None) -> None:
        """Attach to ``call_id``'s sideband with the app's own credential, until the call ends
        (``prefix`` is a Realtime API prefix, or a GPT-Live session's whole attach path when
        ``first``, the create's record, is given)."""
        assert self._http is not None
        url = self.upstream.ws_url(prefix if first is not None
                                   else f"{prefix}/realtime?call_id={call_id}")
        try:
            ws = await attach(self._http, url, credentials)
        except SidebandError as exc:
            self.say(f"cannot watch call {call_id}: {exc}")
            return
        finally:
            credentials.clear()  # the app's key lives no longer than the attach needs it
        session = f"{'live' if first is not None else 'call'} {call_id}"
        self._calls_seen += 1
        api = "GPT-Live " if first is not None else ""
        tap = self._open_session(session, f"{session} ({api}WebRTC, sideband)", "sideband")
        if first is not None:
            tap.event("local", first)
        sideband = Sideband(ws, tap)
        try:
            by, reason = await sideband.follow()
        except asyncio.CancelledError:
            await sideband.detach()
            tap.close("proxy", "the proxy stopped; the call goes on")
            self._closed(session)
            raise
        tap.close(by, reason)
        self._closed(session)


class _Closing:
    """A tap that also tells the proxy the session is over when it is closed."""

    def __init__(self, tap: Tap, on_close: Callable[[], None]) -> None:
        self._tap = tap
        self._on_close = on_close

    def open(self, label: str, kind: SessionKind) -> None:
        self._tap.open(label, kind)

    def event(self, direction: Direction, event: dict[str, Any]) -> object:
        return self._tap.event(direction, event)

    def close(self, by: ClosedBy, reason: str) -> object:
        self._on_close()
        return self._tap.close(by, reason)
