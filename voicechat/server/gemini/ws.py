"""Gemini Live over WebSocket: accept, admit, read frames into the session, close with a code.

Credentials are checked when the socket opens but refused by a close (1008) once the client's
first frame has come (or after a short wait): the SDK sends ``setup`` before it reads, and a
close it can read is what Google's refusals look like to it. Frames go out through the bounded
:class:`~voicechat.server.send_queue.SendQueue`; a refusal is a close frame queued after them,
so the client reads everything the server said first, and only once the session has stopped (a
client that reconnects the moment it reads the close finds its conversation free to resume).
A client that stops reading is shed with ``goAway{timeLeft: "0s"}`` and close 1008 (Gemini has
no error event; decided).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from aiohttp import WSMsgType, web

from voicechat.protocol.gemini import errors, server_messages
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.gemini import credentials
from voicechat.server.gemini.host import GeminiHost
from voicechat.server.gemini.session import GeminiSession
from voicechat.server.send_queue import SendQueue
from voicechat.server.ws import MAX_MESSAGE_BYTES

log = logging.getLogger("voicechat.server")
#: how long a refused client gets to send its first frame before the close
REFUSE_AFTER_S = 5.0


async def handler(request: web.Request, host: GeminiHost, *,
                  constrained: bool) -> web.StreamResponse:
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, autoping=True, heartbeat=None)
    await ws.prepare(request)
    queue = _send_queue(ws, request, host)
    refusal = credentials.admit(request.headers, request.query, constrained=constrained,
                                keys=host.tokens, tokens=host.gemini_tokens)
    if refusal is not None:
        with contextlib.suppress(TimeoutError, Exception):
            await asyncio.wait_for(ws.receive(), REFUSE_AFTER_S)
        await _close(ws, queue, refusal)
        return ws
    closed = asyncio.Event()
    ending: list[Refusal] = []

    def close(refusal: Refusal) -> None:
        ending.append(refusal)  # the close frame goes out once the session has stopped
        closed.set()

    session = GeminiSession(send=lambda frame: queue.put(json.dumps(frame)), close=close,
                            kit=host.kit, options=host.gemini_options(),
                            resumptions=host.gemini_resumptions)
    host.gemini_sessions[session.id] = session
    started = time.monotonic()
    reader = asyncio.ensure_future(_read(ws, session, queue))
    waiter = asyncio.ensure_future(closed.wait())
    try:
        await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, waiter):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await session.stop()  # the conversation is free to resume before the client hears
        host.gemini_sessions.pop(session.id, None)
        if ending:
            queue.put_close(ending[0].code, ending[0].close_reason.encode("utf-8"))
        await queue.drain(timeout=2.0)
        await queue.stop()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()
        turns = session.turns.count if session.turns is not None else 0
        log.info("gemini session %s closed after %.1fs (%s): turns=%d", session.id,
                 time.monotonic() - started, session.close_reason or "client closed", turns)
    return ws


async def _read(ws: web.WebSocketResponse, session: GeminiSession, queue: SendQueue) -> None:
    async for msg in ws:
        if queue.failed or session.closed:
            return
        if msg.type == WSMsgType.TEXT:
            await session.handle(msg.data)
        elif msg.type == WSMsgType.BINARY:
            # the SDK sends text; a binary frame of UTF-8 JSON is read the same (Google's
            # protobuf endpoint accepts both)
            try:
                await session.handle(msg.data.decode("utf-8"))
            except UnicodeDecodeError:
                session.refuse(errors.not_json("A binary frame that is not UTF-8 JSON."))
        elif msg.type == WSMsgType.ERROR:
            return


async def _close(ws: web.WebSocketResponse, queue: SendQueue, refusal: Refusal) -> None:
    queue.put_close(refusal.code, refusal.close_reason.encode("utf-8"))
    await queue.drain(timeout=2.0)
    await queue.stop()
    if not ws.closed:
        with contextlib.suppress(Exception):
            await ws.close(code=refusal.code, message=refusal.close_reason.encode("utf-8"))


def _send_queue(ws: web.WebSocketResponse, request: web.Request, host: GeminiHost) -> SendQueue:
    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()

    def shed(wanted: int) -> None:
        host.send_queue_report(peak_bytes=queue.max_queued_bytes, shed=True)
        log.warning("closing a gemini websocket from %s: the client is not reading (%d bytes "
                    "waiting)", request.remote or "?", wanted)

    queue = SendQueue(ws, abort=abort, limit_bytes=host.send_queue_bytes, on_shed=shed,
                      on_stop=lambda q: host.send_queue_report(peak_bytes=q.max_queued_bytes,
                                                               shed=False),
                      shed_event=lambda _limit: server_messages.go_away(0))
    return queue
