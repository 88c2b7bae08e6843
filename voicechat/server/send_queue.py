"""One WebSocket connection's outgoing events, bounded: a client that stops reading is closed.

The engine must never block on a socket, so events go into a queue that one writer task drains.
Unbounded, that queue let one client that stopped reading grow the server by the size of every
event it provoked (a tiny ``conversation.item.retrieve`` of a large item queues megabytes). Here
the bytes waiting are counted. A burst may exceed the limit (one large ``conversation.item.create``
echoes as ``.added`` and ``.done``, 2 × 15 MB, before the writer runs), so the connection is shed
when an event would take the queue past the limit while the socket has taken nothing for
:data:`STALL_S`, or past :data:`HARD_FACTOR` × the limit in any case: what is queued is
dropped, an ``error`` event and a close frame (1008, policy violation) are written after what
the socket already holds, and if the client does not take even those within
:data:`CLOSE_TIMEOUT_S` the TCP connection is aborted. The real service's wording for this case
was never observed; the code and close reason are ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from voicechat.protocol.errors import ProtocolError

#: Bytes of events that may wait for one client by default (a single event larger than this is
#: still sent when nothing else is waiting, so the biggest legal item can be retrieved).
DEFAULT_LIMIT_BYTES = 16 * 1024 * 1024
CLOSE_TIMEOUT_S = 10.0
#: the socket has been writing one frame this long: the client is not reading
STALL_S = 2.0
#: the queue never holds more than this many times the limit (plus one event into an empty one)
HARD_FACTOR = 4
SLOW_READER_CLOSE_CODE = 1008
SLOW_READER_CODE = "client_not_reading"


def slow_reader_error(limit: int) -> ProtocolError:
    return ProtocolError(
        SLOW_READER_CODE,
        f"The client is not reading events fast enough: more than {limit} bytes of events were "
        "waiting to be sent, so the session was closed. Read the socket continuously.",
    )


class SendQueue:
    """The events waiting for one socket, the task writing them, and the shedding of a slow
    reader (``on_shed`` is told, with the bytes that were waiting; ``abort`` drops the TCP
    connection of a client that does not even take the close frame; ``on_stop`` sees the queue
    once it is done)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        *,
        abort: Callable[[], None],
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
        on_shed: Callable[[int], None] | None = None,
        on_stop: Callable[[SendQueue], None] | None = None,
        shed_event: Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        """``shed_event``: the ``error`` event a shed client gets, given the limit (default:
        the Realtime one; GPT-Live's envelope differs)."""
        self._ws = ws
        self._shed_event = shed_event or (lambda limit: slow_reader_error(limit).to_event())
        self._abort = abort
        self.limit_bytes = limit_bytes
        self._on_shed = on_shed
        self._on_stop = on_stop
        self._items: deque[str | tuple[int, bytes]] = deque()
        self._ready = asyncio.Event()
        self.queued_bytes = 0  # waiting or being written
        self.max_queued_bytes = 0
        self.shed = False
        self._writing_since: float | None = None  # the frame being written was started then
        self._writer = asyncio.ensure_future(self._write())
        self._shedder: asyncio.Task[None] | None = None

    @property
    def failed(self) -> bool:
        """The writer stopped: the socket failed or the queue was shed."""
        return self._writer.done() or self.shed

    def put(self, text: str) -> None:
        if self.shed or self._writer.done():
            return
        size = len(text)  # json.dumps output is ASCII: characters are bytes
        wanted = self.queued_bytes + size
        if self.queued_bytes and wanted > self.limit_bytes:
            stalled = (
                self._writing_since is not None and time.monotonic() - self._writing_since > STALL_S
            )
            if stalled or wanted > HARD_FACTOR * self.limit_bytes:
                self._shed(wanted)
                return
        self._items.append(text)
        self.queued_bytes += size
        self.max_queued_bytes = max(self.max_queued_bytes, self.queued_bytes)
        self._ready.set()

    def put_close(self, code: int, message: bytes) -> None:
        """Close the socket once everything queued before has been written."""
        self._items.append((code, message))
        self._ready.set()

    async def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout``) until everything queued has been written."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._items and not self._writer.done():
                    await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop writing (and finish shedding, if a shed is under way)."""
        if self._shedder is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._shedder
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
        if self._on_stop is not None:
            self._on_stop(self)

    async def _write(self) -> None:
        while True:
            while not self._items:
                self._writing_since = None
                self._ready.clear()
                await self._ready.wait()
            item = self._items[0]
            self._writing_since = time.monotonic()
            if isinstance(item, tuple):
                await self._ws.close(code=item[0], message=item[1])
                return
            await self._ws.send_str(item)
            self._items.popleft()
            self.queued_bytes -= len(item)

    def _shed(self, wanted: int) -> None:
        self.shed = True
        self._items.clear()
        self.queued_bytes = 0
        if self._on_shed is not None:
            self._on_shed(wanted)
        self._shedder = asyncio.ensure_future(self._close_slow_reader())

    async def _close_slow_reader(self) -> None:
        # The writer is parked in the transport's drain with its frame already buffered, so
        # cancelling it tears no frame; the error and the close frame follow that frame.
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
        error = self._shed_event(self.limit_bytes)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._ws.send_str(json.dumps(error, separators=(",", ":")))
                await self._ws.close(
                    code=SLOW_READER_CLOSE_CODE, message=b"client is not reading events"
                )
        except Exception:  # TimeoutError included: the client never took even the close frame
            self._abort()
