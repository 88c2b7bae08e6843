"""Caps on WebRTC calls, so SDP offers that never connect cannot exhaust the server.

Each answered call holds a UDP socket and an engine. Without caps, 200 offers that never
connect got 201 each and held their sockets for about a minute (and under a low file limit
the server stopped accepting connections). So a call counts as *pending* from its answer until
ICE and DTLS come up, pending calls are capped per key and per server, all calls are capped per
key and per server, and a call still not connected :attr:`CallLimits.connect_timeout_s` after
its answer is hung up (reaped). An offer over a cap gets a 429 in OpenAI's rate-limit shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voicechat.server.rtc import RtcCall  # aiortc: loaded for WebRTC only


@dataclass(frozen=True)
class CallLimits:
    """The caps (a *key* is the credential the call was answered for; ``ek_`` tokens count
    against the key that minted them)."""

    # Generous for one machine (the load bench connects 16 calls at once with one key), small
    # next to the flood that used to get 200 sockets held for a minute.
    max_calls: int = 64
    max_calls_per_key: int = 32
    max_pending: int = 32
    max_pending_per_key: int = 16
    connect_timeout_s: float = 20.0

    def refusal(self, calls: Iterable[RtcCall], owner: str) -> str | None:
        """Why ``owner`` may not have one more call (``None``: it may); the routes send it as
        :func:`~voicechat.server.http_util.rate_limited`."""
        live = [c for c in calls if not c.closed]
        pending = [c for c in live if not c.connected]
        checks = (
            (len(pending), self.max_pending, "calls waiting to connect on this server"),
            (
                sum(c.owner == owner for c in pending),
                self.max_pending_per_key,
                "calls waiting to connect for this key",
            ),
            (len(live), self.max_calls, "calls on this server"),
            (sum(c.owner == owner for c in live), self.max_calls_per_key, "calls for this key"),
        )
        for count, cap, what in checks:
            if count >= cap:
                return (
                    f"Too many {what} ({count}, the limit is {cap}). Connect or hang up a "
                    f"call first; unconnected calls are dropped after "
                    f"{self.connect_timeout_s:g} s."
                )
        return None
