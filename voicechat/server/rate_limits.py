"""The ``rate_limits.updated`` figures: a per-minute token bucket like OpenAI's rate limiter.

The real server sends ``rate_limits.updated`` once per response. Beta sessions get a
``requests`` and a ``tokens`` entry; GA sessions only the ``tokens`` one (real GA recordings:
``[{"name":"tokens","limit":40000,"remaining":38490,"reset_seconds":2.265}]``, and users
asking where ``requests`` went), so :func:`reported` picks the entries per dialect while both
buckets are always charged. OpenAI's limits replenish continuously, so ``reset_seconds`` is the
time until the bucket is full again (one request of 1000/min used → 0.06 s), not a fixed
window; clients and the doctor read it that way, so the local server computes it the same
way instead of sending constants. The buckets are shared by every session of one server, as
the real limits are shared by every session of one project.

The local server only *reports* the figures; it never refuses a response for exceeding them
(an offline demo has no quota to protect). Time is passed in, so the arithmetic is testable.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.dialect import Dialect

#: Per-minute limits reported by default (the shape of a low usage tier).
DEFAULT_REQUESTS_PER_MIN = 1000
DEFAULT_TOKENS_PER_MIN = 40000


@dataclass
class _Bucket:
    name: str
    limit: int
    level: float = -1.0  # -1: not used yet (full)
    last: float = 0.0

    def charge(self, now: float, amount: float) -> dict[str, Any]:
        rate = self.limit / 60.0  # refill per second
        if self.level < 0:
            self.level = float(self.limit)
        else:
            self.level = min(float(self.limit), self.level + max(0.0, now - self.last) * rate)
        self.last = now
        self.level = max(0.0, self.level - amount)
        return {
            "name": self.name,
            "limit": self.limit,
            "remaining": math.floor(self.level),
            "reset_seconds": round((self.limit - self.level) / rate, 3),
        }


@dataclass
class RateLimits:
    """Request and token buckets; :meth:`charge` books one response and reports both."""

    requests_per_min: int = DEFAULT_REQUESTS_PER_MIN
    tokens_per_min: int = DEFAULT_TOKENS_PER_MIN
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _buckets: list[_Bucket] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._buckets = [
            _Bucket("requests", self.requests_per_min),
            _Bucket("tokens", self.tokens_per_min),
        ]

    def charge(self, now: float, tokens: int) -> list[dict[str, Any]]:
        """Book one request of ``tokens`` at ``now`` (seconds, monotonic); the event payload."""
        with self._lock:
            requests, token_bucket = self._buckets
            return [requests.charge(now, 1), token_bucket.charge(now, max(0, tokens))]


def estimate_tokens(texts: list[str]) -> int:
    """Input tokens of a response, estimated the usual way (~4 characters per token)."""
    chars = sum(len(t) for t in texts)
    return max(1, math.ceil(chars / 4))


def reported(limits: list[dict[str, Any]], dialect: Dialect) -> list[dict[str, Any]]:
    """The entries of one booking that ``rate_limits.updated`` shows in ``dialect``."""
    if dialect is Dialect.BETA:
        return limits
    return [entry for entry in limits if entry["name"] == "tokens"]
