"""GPT-Live over WebSocket: the primary socket (``GET /v1/live/sessions``, no query) and the
sideband (``GET /v1/live/sessions/{id}/attach``), plus Azure's paths.

Auth: a project key only (``Authorization: Bearer`` or Azure's ``api-key``): GPT-Live has no
ephemeral keys, so an ``ek_`` token and a web page's request (``Origin``) are refused with a
message that says so. The SDK's extra upgrade headers (``Accept``, ``Content-Type``,
``X-Stainless-*``) are ignored. Events go out through the bounded :class:`SendQueue`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from voicechat.protocol.live import errors, names
from voicechat.protocol.live.errors import LiveError
from voicechat.server.auth import credential_from
from voicechat.server.http_util import auth_error, error_response
from voicechat.server.ids import event_id
from voicechat.server.live.engine import LiveEngine
from voicechat.server.live.host import LiveHost
from voicechat.server.live.ports import DeltaPort
from voicechat.server.nesting import too_deep
from voicechat.server.send_queue import SLOW_READER_CODE, SendQueue, slow_reader_error
from voicechat.server.ws import MAX_MESSAGE_BYTES

log = logging.getLogger("voicechat.server")


def refuse(request: web.Request, host: LiveHost) -> web.Response | None:
    """The HTTP answer to a request GPT-Live does not admit (``None``: admitted)."""
    if host.is_browser(request.headers):
        return error_response(
            403,
            "GPT-Live has no ephemeral keys, so a web page cannot connect directly: create "
            "the session on your server (which holds the API key) and relay the SDP.",
            code="forbidden",
        )
    credential = credential_from(request.headers, request.query)
    if credential is not None and credential.startswith("ek_"):
        return auth_error("GPT-Live accepts no ephemeral (ek_) keys; use the project API key")
    result = host.tokens.check_key(credential)
    if not result.ok:
        return auth_error(result.reason, result.status)
    return None


async def decode(text: str, engine: LiveEngine) -> Any:
    """A frame as JSON, or ``None`` after telling the client what is wrong with it."""
    try:
        event = json.loads(text)
    except RecursionError:
        engine.error(errors.invalid_json("nested too deeply"))
        return None
    except ValueError as exc:
        engine.error(errors.invalid_json(str(exc)))
        return None
    if too_deep(event):
        engine.error(errors.invalid_json("nested too deeply"))
        return None
    return event


async def primary_handler(request: web.Request, host: LiveHost) -> web.StreamResponse:
    refusal = refuse(request, host)
    if refusal is not None:
        return refusal
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, autoping=True, heartbeat=None)
    await ws.prepare(request)
    queue = send_queue(ws, request, host)
    port = DeltaPort()
    finished = asyncio.Event()

    def send(event: dict[str, Any]) -> None:
        queue.put(json.dumps(event))

    engine = LiveEngine(emit=send, kit=host.kit, port=port, webrtc=False,
                        options=host.live_options(), on_closed=lambda _r: finished.set())
    port.emit = engine.emit
    port.reflect = engine.reflect_output
    port.format = lambda: engine.state.audio_format
    host.live_sessions[engine.id] = engine
    started = time.monotonic()
    reason = "client closed"
    reader = asyncio.ensure_future(_read(ws, engine, queue))
    waiter = asyncio.ensure_future(finished.wait())
    try:
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if finished.is_set():
            reason = engine.close_reason or "closed"
        elif queue.failed:
            reason = "client not reading"
    except asyncio.CancelledError:
        reason = "server shutting down"
        raise
    finally:
        for task in (reader, waiter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await engine.close()
        host.live_sessions.pop(engine.id, None)
        await queue.drain(timeout=1.0)
        await queue.stop()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()
        log.info("live session %s closed after %.1fs (%s): turns=%d errors=%d", engine.id,
                 time.monotonic() - started, reason, engine.counters["turns"],
                 engine.counters["errors"])
    return ws


async def _read(ws: web.WebSocketResponse, engine: LiveEngine, queue: SendQueue) -> None:
    async for msg in ws:
        if queue.failed:
            return
        if msg.type == WSMsgType.TEXT:
            event = await decode(msg.data, engine)
            if event is not None:
                await engine.handle(event)
        elif msg.type == WSMsgType.BINARY:
            engine.error(errors.invalid_json("binary frames are not supported; send JSON text"))
        elif msg.type == WSMsgType.ERROR:
            return


async def sideband_handler(request: web.Request, host: LiveHost) -> web.StreamResponse:
    """``…/{session_id}/attach``: every event of a running session, the mic and output audio
    reflected (PCM16 24 kHz, timed), and commands other than ``session.start`` and audio.
    The socket closes with a close handshake when the session ends (``graceful_close`` is
    accepted and always honoured)."""
    refusal = refuse(request, host)
    if refusal is not None:
        return refusal
    engine = host.live_sessions.get(request.match_info["session_id"])
    if engine is None or engine.closed:
        return error_response(404, "No live session with that id.", code="not_found",
                              param="session_id")
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    queue = send_queue(ws, request, host)
    remove = engine.observe(lambda event: queue.put(json.dumps(event)))

    async def close_when_done() -> None:
        while not engine.ended:  # not ``closed``: session.closed leaves after it
            await asyncio.sleep(0.1)
        queue.put_close(WSCloseCode.OK, b"the session ended")

    closer = asyncio.ensure_future(close_when_done())
    try:
        async for msg in ws:
            if queue.failed or msg.type != WSMsgType.TEXT:
                break
            event = await decode(msg.data, engine)
            if event is None:
                continue
            kind = event.get("type") if isinstance(event, dict) else None
            cid = event.get("event_id") if isinstance(event, dict) else None
            cid = cid if isinstance(cid, str) else None
            if kind == names.SESSION_START:
                engine.error(errors.start_on_sideband(), cid)
            elif kind == names.INPUT_AUDIO_APPEND:
                engine.error(errors.audio_on_sideband(), cid)
            else:
                await engine.handle(event)
    finally:
        remove()
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closer
        await queue.drain(timeout=1.0)
        await queue.stop()
    return ws


def _slow_reader_event(limit: int) -> dict[str, Any]:
    """The Realtime side's slow-reader error, in GPT-Live's envelope."""
    realtime = slow_reader_error(limit)
    return LiveError(SLOW_READER_CODE, realtime.message).to_event(event_id=event_id())


def send_queue(ws: web.WebSocketResponse, request: web.Request, host: LiveHost) -> SendQueue:
    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()

    def shed(wanted: int) -> None:
        host.send_queue_report(peak_bytes=queue.max_queued_bytes, shed=True)
        log.warning("closing a live websocket from %s: the client is not reading (%d bytes "
                    "waiting)", request.remote or "?", wanted)

    queue = SendQueue(ws, abort=abort, limit_bytes=host.send_queue_bytes, on_shed=shed,
                      on_stop=lambda q: host.send_queue_report(peak_bytes=q.max_queued_bytes,
                                                               shed=False),
                      shed_event=_slow_reader_event)
    return queue
