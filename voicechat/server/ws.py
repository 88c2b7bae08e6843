"""The WebSocket transport: ``GET /v1/realtime`` (and the Azure paths), GA or beta, and the
sideband (``GET /v1/realtime?call_id=``) that watches and drives a WebRTC call. A ``grok-…``
model on ``/v1/realtime`` and the ``/voice-live/realtime`` path get the xAI and Voice Live
personalities (:mod:`voicechat.server.personalities`) around the same bridge.

Dialect comes from the ``OpenAI-Beta: realtime=v1`` header or the ``openai-beta.realtime-v1``
subprotocol (Azure's preview path ``/openai/realtime`` is beta too); auth from the header,
``api-key`` or the ``openai-insecure-api-key.*`` subprotocol; the ``realtime`` subprotocol is
selected when offered, because browsers refuse a handshake that answers none of theirs when
they sent one the server could have picked. Events go out through a queue drained by one writer
task, so the engine never blocks on a slow socket and a vanished client ends the session cleanly.
The handlers depend only on a :class:`SessionHost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from voicechat.protocol import errors
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.live.names import is_live_model
from voicechat.server import sessions
from voicechat.server.audio_out import DeltaSink
from voicechat.server.auth import BETA_SUBPROTOCOL, credential_from, offered_subprotocols
from voicechat.server.bridge import EventBridge
from voicechat.server.calls import may_touch
from voicechat.server.host import SessionHost
from voicechat.server.http_util import auth_error, error_response
from voicechat.server.ids import event_id
from voicechat.server.personalities import (
    VOICE_LIVE_PATH,
    personality_for,
    xai_credential,
    xai_subprotocols,
)
from voicechat.server.send_queue import SendQueue

log = logging.getLogger("voicechat.server")

#: The real API rejects client events over 15 MiB; a bigger frame closes the socket (1009).
MAX_MESSAGE_BYTES = 15 * 1024 * 1024


def is_beta(request: web.Request, offered: list[str]) -> bool:
    if "realtime=v1" in request.headers.get("OpenAI-Beta", ""):
        return True
    if BETA_SUBPROTOCOL in offered:
        return True
    return request.path.rstrip("/") in ("/openai/realtime", VOICE_LIVE_PATH)


def add_routes(router: web.UrlDispatcher, host: SessionHost) -> None:
    """The WebSocket paths (GA, Azure beta, Azure GA), all served by :func:`websocket_handler`."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return await websocket_handler(request, host)

    for path in ("/v1/realtime", "/openai/realtime", "/openai/v1/realtime", VOICE_LIVE_PATH):
        router.add_get(path, handler)


async def websocket_handler(request: web.Request, host: SessionHost) -> web.StreamResponse:
    offered = offered_subprotocols(request.headers)
    credential = credential_from(request.headers, request.query, offered) or xai_credential(
        offered)
    grant_check = host.tokens.check(credential, browser=host.is_browser(request.headers))
    if not grant_check.ok:
        return auth_error(grant_check.reason, grant_check.status)
    dialect = Dialect.BETA if is_beta(request, offered) else Dialect.GA
    azure = request.path.startswith(("/openai/", VOICE_LIVE_PATH))

    call_id = request.query.get("call_id")
    if call_id:
        return await sideband_handler(request, host, call_id, credential)

    transcription = request.query.get("intent") == "transcription"
    model = request.query.get("model") or request.query.get("deployment") or host.default_model
    if grant_check.grant is not None:
        session = sessions.session_from_request(model, grant_check.grant.session)
        if transcription and session.get("type") != "transcription":
            session = sessions.default_session(model, transcription=True)
    else:
        session = sessions.default_session(model, transcription=transcription)

    ws = web.WebSocketResponse(
        # a browser fails a handshake that selects none of the subprotocols it offered; an
        # xAI page offers only its token's (the xAI personality answers with it)
        protocols=("realtime", *xai_subprotocols(offered)),
        max_msg_size=MAX_MESSAGE_BYTES,
        autoping=True,
        heartbeat=None,
    )
    await ws.prepare(request)
    if is_live_model(model):
        return await _refuse_live_model(ws, model)

    personality = personality_for(request.path, model,
                                  xai_session_created=host.xai_session_created)
    bridge = EventBridge(dialect, azure=azure,
                         client_rewrite=personality.client_event if personality else None,
                         server_rewrite=personality.wire_event if personality else None)
    queue = _send_queue(ws, request, host)

    def send(event: dict[str, Any]) -> None:
        for wire in personality.server_events(event) if personality else (event,):
            text = bridge.outgoing(wire)
            if text is not None:
                queue.put(text)

    def expire() -> None:
        queue.put_close(1001, b"session expired")

    engine = host.new_engine(
        emit=send,
        dialect=dialect,
        session=session,
        sink=DeltaSink(send, speedup=host.ws_audio_speedup),
        on_expired=expire,
        session_max_s=personality.session_cap_s if personality else None,
    )

    host.session_opened(engine)
    started = time.monotonic()
    peer = request.remote or "?"
    log.info(
        "session %s opened: websocket %s%s model=%s peer=%s",
        engine.session.get("id"),
        dialect.value,
        f" {personality.profile.name}" if personality else " azure" if azure else "",
        model,
        peer,
    )
    close_reason = "client closed"
    try:
        await engine.start()
        async for msg in ws:
            if queue.failed:
                close_reason = "client not reading" if queue.shed else "send failed"
                break
            if msg.type == WSMsgType.TEXT:
                await bridge.incoming(msg.data, engine)
            elif msg.type == WSMsgType.BINARY:
                engine.error(
                    errors.invalid_json("binary frames are not supported; send JSON text"),
                    refused="(binary frame)",
                )
            elif msg.type == WSMsgType.ERROR:
                close_reason = f"transport error: {ws.exception()}"
                break
    except ConnectionResetError:
        close_reason = "connection lost"
    except asyncio.CancelledError:
        close_reason = "server shutting down"
        raise
    finally:
        await engine.close()
        host.session_closed(engine)
        if queue.shed:
            close_reason = "client not reading"
        else:  # let queued events (e.g. the session_expired error) go out before closing
            await queue.drain(timeout=1.0)
        await queue.stop()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()
        log.info(
            "session %s closed after %.1fs (%s): responses=%d commits=%d errors=%d",
            engine.session.get("id"),
            time.monotonic() - started,
            close_reason,
            engine.counters["responses"],
            engine.counters["commits"],
            engine.counters["errors"],
        )
    return ws


async def _refuse_live_model(ws: web.WebSocketResponse, model: str) -> web.WebSocketResponse:
    """A GPT-Live model on the Realtime socket: the real service answers ``invalid_model``
    ("not supported in realtime mode", reference gpt-live.md §1.1 and pitfall 1; the rest of the
    wording is ours, saying where the model is served) and the session never starts."""
    problem = errors.ProtocolError(
        "invalid_model",
        f"Model '{model}' is not supported in realtime mode: GPT-Live models are served at "
        "/v1/live/sessions (send the model in session.start).",
        "model",
    )
    with contextlib.suppress(Exception):
        await ws.send_str(json.dumps(problem.to_event(event_id=event_id())))
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"invalid model")
    return ws


async def sideband_handler(
    request: web.Request, host: SessionHost, call_id: str, credential: str | None
) -> web.StreamResponse:
    """``GET /v1/realtime?call_id=``: a GA socket that sees and can drive a WebRTC call (an
    ``ek_`` key only the call it answered)."""
    call = host.find_call(call_id)
    if call is None or not may_touch(call, credential):
        return error_response(404, "No call with that id.", code="not_found", param="call_id")
    ws = web.WebSocketResponse(protocols=("realtime",), max_msg_size=MAX_MESSAGE_BYTES)
    await ws.prepare(request)
    bridge = EventBridge(Dialect.GA)
    queue = _send_queue(ws, request, host)

    def listen(event: dict[str, Any]) -> None:
        text = bridge.outgoing(event)
        if text is not None:
            queue.put(text)

    remove = call.add_listener(listen)

    async def close_when_the_call_ends() -> None:
        await call.ended.wait()
        # What the call said last goes out before the close frame; the reader loop then ends.
        queue.put_close(WSCloseCode.OK, b"the call ended")

    closer = asyncio.ensure_future(close_when_the_call_ends())
    try:
        async for msg in ws:
            if queue.failed:
                break
            if msg.type == WSMsgType.TEXT:
                await bridge.incoming(msg.data, call.engine)
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        remove()
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closer
        await queue.stop()
    return ws


def _send_queue(ws: web.WebSocketResponse, request: web.Request, host: SessionHost) -> SendQueue:
    """The bounded outgoing queue of one socket; shedding a slow reader is logged and counted."""

    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()

    def shed(wanted: int) -> None:
        host.send_queue_report(peak_bytes=queue.max_queued_bytes, shed=True)
        log.warning(
            "closing a websocket from %s: the client is not reading (%d bytes of events "
            "waiting, limit %d)",
            request.remote or "?",
            wanted,
            host.send_queue_bytes,
        )

    def stopped(done: SendQueue) -> None:
        host.send_queue_report(peak_bytes=done.max_queued_bytes, shed=False)

    queue = SendQueue(
        ws, abort=abort, limit_bytes=host.send_queue_bytes, on_shed=shed, on_stop=stopped
    )
    return queue
