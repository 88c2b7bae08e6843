"""What the responses cost: tokens per response and for the session, and an estimated price.

The service reports tokens in ``response.done.response.usage`` (GA and beta alike; see
:func:`voicechat.protocol.pricing.tokens_from_usage`), never money, so the cost is an estimate
from :mod:`voicechat.protocol.pricing`'s table for the model the server *reports* in
``session.created``/``session.updated`` (falling back to the model the client asked for), with
the config's overrides. A response without a usage object counts as a response, not as tokens.
Rate limits (``rate_limits.updated``) are kept here too: they are the other half of "what may I
still spend", and the status bar shows both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.pricing import (
    ESTIMATE_LABEL,
    Tokens,
    cost_text,
    estimate_usd,
    prices_for,
    tokens_from_usage,
    tokens_line,
)


@dataclass(frozen=True)
class ResponseUsage:
    """One finished response's tokens and estimated cost (``None``: no price for the model)."""

    response_id: str | None
    status: str | None
    tokens: Tokens
    cost_usd: float | None


@dataclass(frozen=True)
class UsageView:
    """The session's totals, the last response's usage, and what the cost figure is."""

    total: Tokens = field(default_factory=Tokens)
    cost_usd: float | None = None
    responses: int = 0
    last: ResponseUsage | None = None
    model: str | None = None
    label: str = ESTIMATE_LABEL
    #: minutes connected, for a provider that bills by the minute (``None``: it bills tokens)
    minutes: float | None = None


@dataclass(frozen=True)
class RateLimit:
    """One ``rate_limits.updated`` entry; ``reset_at`` is local ``now`` plus ``reset_seconds``."""

    name: str
    limit: int | None
    remaining: int | None
    reset_seconds: float | None
    reset_at: float | None


class Usage:
    """Adds up ``response.done`` usage and keeps the latest rate limits."""

    def __init__(self, model: str | None, prices: Mapping[str, Mapping[str, Any]],
                 per_minute_usd: float | None = None) -> None:
        self._asked_model = model
        self._prices = prices
        #: a provider that bills per connected minute (xAI) and reports no tokens: the cost is
        #: this price times the minutes since :meth:`started`, counted at each ``response.done``
        self._per_minute = per_minute_usd
        self._started: float | None = None
        self._earlier_minutes = 0.0
        self.view = UsageView(model=model, minutes=0.0 if per_minute_usd is not None else None)
        self.rate_limits: tuple[RateLimit, ...] = ()

    def started(self, now: float) -> None:
        """The session began at ``now`` (its minutes count from here)."""
        self._started = now

    def carry(self, earlier: UsageView) -> None:
        """Start from the totals of an earlier session of the same conversation (reconnect)."""
        self._earlier_minutes = earlier.minutes or 0.0
        self.view = UsageView(
            total=earlier.total, cost_usd=earlier.cost_usd, responses=earlier.responses,
            last=earlier.last, model=self.view.model, minutes=earlier.minutes,
        )

    def _by_the_minute(self, now: float) -> None:
        """The view's minutes and their cost at ``now`` (a per-minute provider only)."""
        if self._per_minute is None or self._started is None:
            return
        minutes = self._earlier_minutes + max(0.0, now - self._started) / 60.0
        v = self.view
        self.view = UsageView(v.total, self._per_minute * minutes, v.responses, v.last, v.model,
                              f"estimate, ${self._per_minute:g}/min", minutes)

    def model_reported(self, model: Any) -> None:
        if isinstance(model, str) and model:
            v = self.view
            self.view = UsageView(v.total, v.cost_usd, v.responses, v.last, model, v.label,
                                  v.minutes)

    def response_done(self, response: Mapping[str, Any],
                      now: float | None = None) -> ResponseUsage | None:
        """Count one ``response.done``'s usage; the :class:`ResponseUsage`, if it had any. A
        per-minute provider's ``usage`` is null or empty (normal there): its cost follows
        the minutes at ``now``."""
        v = self.view
        tokens = tokens_from_usage(response.get("usage"))
        if tokens is None or self._per_minute is not None:
            self.view = UsageView(v.total, v.cost_usd, v.responses + 1, v.last, v.model, v.label,
                                  v.minutes)
            if now is not None:
                self._by_the_minute(now)
            return None
        prices = prices_for(v.model or self._asked_model, self._prices)
        cost = estimate_usd(tokens, prices) if prices is not None else None
        rid, status = response.get("id"), response.get("status")
        last = ResponseUsage(
            rid if isinstance(rid, str) else None,
            status if isinstance(status, str) else None,
            tokens,
            cost,
        )
        total_cost = None if cost is None else (v.cost_usd or 0.0) + cost
        self.view = UsageView(v.total + tokens, total_cost, v.responses + 1, last, v.model,
                              v.label, v.minutes)
        return last

    def rate_limits_updated(self, event: Mapping[str, Any], now: float) -> bool:
        """Keep the event's limits; ``False`` when its ``rate_limits`` is not a list."""
        entries = event.get("rate_limits")
        if not isinstance(entries, list):
            return False
        limits = []
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                continue
            reset = _num(entry.get("reset_seconds"))
            limits.append(RateLimit(
                name=str(entry["name"]),
                limit=_count(entry.get("limit")),
                remaining=_count(entry.get("remaining")),
                reset_seconds=reset,
                reset_at=None if reset is None else now + reset,
            ))
        self.rate_limits = tuple(limits)
        return True


def describe(usage: ResponseUsage) -> str:
    """One line for a response's usage: tokens by kind, and the estimated cost."""
    return f"{tokens_line(usage.tokens)} · {cost_text(usage.cost_usd)}"


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    number = _num(value)
    return int(number) if number is not None else None
