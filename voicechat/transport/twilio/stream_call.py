"""One Media Stream call in real time (I/O): the caller's frames out every 20 ms, the agent's
audio played on its clock.

The sans-IO :class:`~voicechat.phone.twilio.media_stream.MediaStream` keeps the protocol and
the playback clock; this drives it, as Twilio does on a call:

* a tick every 20 ms on a deadline schedule (the n-th at start + n x 20 ms, so one late tick does
  not shift the ones after it) sends the caller's frame: what the caller says, or silence (μ-law
  0xFF) while the caller is quiet, never nothing, since an agent's VAD takes a stream gone quiet
  for a dead line (``phone.md`` §1.4); then the keys pressed, as ``dtmf``;
* each tick also takes the agent's audio whose time has come (:meth:`MediaStream.played`), for
  the caller's ears, and sends the mark echoes due; between ticks the call wakes when a mark
  falls due (:meth:`MediaStream.next_mark_at`), so its echo leaves when its audio has played,
  not up to a tick later; a ``clear`` echoes its marks at once;
* the call ends when the agent closes the socket, or when the caller hangs up (``stop``, then
  the socket closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

from voicechat.phone.twilio.media_stream import (
    FRAME_BYTES,
    KEYS,
    RATE,
    SILENCE,
    Event,
    MediaStream,
)

FRAME_S = FRAME_BYTES / RATE
#: a mark's wake-up comes this long after its audio's end, so that the last sample is surely
#: due on the playback clock (it counts whole samples: 125 µs each)
MARK_MARGIN_S = 0.0005
#: (μ-law played, the clock's time) and the caller's next frame (up to 160 bytes; b"" = quiet)
Hear = Callable[[bytes, float], None]
Caller = Callable[[], bytes]


class StreamCall:
    """One stream's call, from the ``connected`` message to the end of the socket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, stream: MediaStream, *,
                 caller: Caller, hear: Hear, on_event: Callable[[Event], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ws = ws
        self._stream = stream
        self._caller = caller
        self._hear = hear
        self._on_event = on_event
        self._clock = clock
        self._keys: deque[str] = deque()
        self._hung_up = False
        self._sending = asyncio.Lock()  # the tick and the reader both send

    def press(self, digit: str) -> None:
        """A key the caller pressed, sent at the next tick (``0``-``9``, ``*``, ``#``)."""
        if len(digit) != 1 or digit not in KEYS:  # the caller's error, said at once
            raise ValueError(f"a key is one of 0-9, * and #, not {digit!r}")
        self._keys.append(digit)

    def hang_up(self) -> None:
        self._hung_up = True

    async def run(self) -> str:
        """Until the call ends: ``"agent"`` when the agent closed the socket, ``"caller"`` when
        :meth:`hang_up` ended it."""
        for message in self._stream.opening(self._clock()):
            await self._send(message)
        reader = asyncio.create_task(self._read())
        try:
            started, tick = self._clock(), 0
            while not reader.done():
                tick += 1
                await self._until(started + tick * FRAME_S, reader)
                if self._hung_up:
                    await self._send(self._stream.stop())
                    await self._ws.close()
                    return "caller"
                if reader.done():
                    break
                await self._tick()
            return "agent"
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _until(self, deadline: float, reader: asyncio.Task[None]) -> None:
        """Sleep until the tick's ``deadline``, echoing each mark that falls due before it.

        Plain sleeps, not a wait on the hang-up: no task a tick per call (a hang-up is seen
        within the tick's 20 ms)."""
        while True:
            mark_at = self._stream.next_mark_at()
            if mark_at is None or mark_at + MARK_MARGIN_S >= deadline:
                await asyncio.sleep(max(0.0, deadline - self._clock()))
                return
            await asyncio.sleep(max(0.0, mark_at + MARK_MARGIN_S - self._clock()))
            if self._hung_up or reader.done():
                return
            await self._play(self._clock())

    async def _tick(self) -> None:
        frame = self._caller()[:FRAME_BYTES]
        for message in self._stream.caller_audio(frame + SILENCE * (FRAME_BYTES - len(frame))):
            await self._send(message)
        while self._keys:
            await self._send(self._stream.dtmf(self._keys.popleft()))
        await self._play(self._clock())

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            now = self._clock()
            for event in self._stream.receive(message.data, now):
                self._on_event(event)
            await self._play(now)

    async def _play(self, now: float) -> None:
        audio, marks = self._stream.played(now)
        if audio:
            self._hear(audio, now)
        for mark in marks:
            await self._send(mark)

    async def _send(self, message: dict[str, Any]) -> None:
        if self._ws.closed:
            return
        async with self._sending:
            with contextlib.suppress(ConnectionResetError):
                await self._ws.send_str(json.dumps(message))
