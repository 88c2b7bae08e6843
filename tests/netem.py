"""A bad network on loopback: the local server's outgoing RTP delayed, reordered and dropped.

Every datagram a peer sends goes through aioice's ``Connection.send``; :class:`ImpairedLink`
wraps it for the *answering* peer (``ice_controlling`` false: the server; the client made the
offer, so it controls ICE) and for RTP only (SRTP keeps the RTP header in the clear: the
version bits say RTP/RTCP, the second byte tells RTCP apart). Each RTP datagram is held for
``base_ms + uniform(0, jitter_ms)`` and then sent; random delays wider than a packet interval
reorder packets on their own. ``drop`` loses that fraction. The settings can change while a
call runs (a test moves from a clean link to a jittery one and back).

Used by the jitter tests (the server in-process) and by ``bench/bench_client_latency.py`` (the
server in a child process). Patch before the peers are created: aioice binds ``send`` then.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from typing import Any


def rtp_seq(data: bytes) -> int | None:
    """The RTP sequence number of an (S)RTP datagram, ``None`` for anything else."""
    if len(data) < 12 or not 128 <= data[0] < 192 or 192 <= data[1] <= 223:
        return None
    return int.from_bytes(data[2:4], "big")


@dataclass
class ImpairedLink:
    jitter_ms: float = 0.0
    base_ms: float = 0.0
    drop: float = 0.0
    seed: int = 0
    sent: int = 0
    dropped: list[int] = field(default_factory=list)  # sequence numbers lost on purpose
    reordered: int = 0  # delivered after a packet sent later than them
    _rng: random.Random = field(init=False, repr=False)
    _pending: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _highest: int | None = field(default=None, repr=False)
    _original: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def set(self, *, jitter_ms: float = 0.0, base_ms: float = 0.0, drop: float = 0.0) -> None:
        self.jitter_ms, self.base_ms, self.drop = jitter_ms, base_ms, drop

    def install(self) -> None:
        import aioice.ice

        link = self
        original = aioice.ice.Connection.send
        self._original = original

        async def send(conn: Any, data: bytes) -> None:
            seq = rtp_seq(data)
            if conn.ice_controlling or seq is None or (link.jitter_ms <= 0 and link.base_ms <= 0
                                                       and link.drop <= 0):
                if seq is not None and not conn.ice_controlling:
                    link._delivered(seq)
                await original(conn, data)
                return
            link.sent += 1
            if link._rng.random() < link.drop:
                link.dropped.append(seq)
                return
            delay = (link.base_ms + link._rng.random() * link.jitter_ms) / 1000.0
            asyncio.get_running_loop().call_later(delay, link._later, original, conn, data, seq)

        aioice.ice.Connection.send = send  # type: ignore[method-assign]

    def _later(self, original: Any, conn: Any, data: bytes, seq: int) -> None:
        self._delivered(seq)
        task = asyncio.ensure_future(self._send_quietly(original, conn, data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _send_quietly(original: Any, conn: Any, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):  # the call ended while "in flight"
            await original(conn, data)

    def _delivered(self, seq: int) -> None:
        if self._highest is not None and 0 < (self._highest - seq) % 65536 < 32768:
            self.reordered += 1
        else:
            self._highest = seq

    def uninstall(self) -> None:
        if self._original is not None:
            import aioice.ice

            aioice.ice.Connection.send = self._original  # type: ignore[method-assign]
            self._original = None
