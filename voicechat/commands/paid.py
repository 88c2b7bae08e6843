"""The guard before a run that may cost money (``voicechat test`` and ``voicechat load``).

A run against anything but the embedded server or a server on this machine shows what it may
cost, at list prices and as an upper bound, and runs only when asked to: ``--yes``, or a "y" at
a terminal. With no terminal (CI) and no ``--yes`` it is refused, exit 2. The case it exists
for (issue 79): ``OPENAI_API_KEY`` set for another job, and the default server quietly became
OpenAI's for a whole suite.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlparse

#: audio tokens per second of the Realtime API's billing: 1 per 100 ms in, 1 per 50 ms out
AUDIO_TOKENS_IN_PER_S = 10.0
AUDIO_TOKENS_OUT_PER_S = 20.0


def is_paid(base: Any) -> bool:
    """A run that may cost money: anything but the embedded server and a server on this
    machine (``voicechat serve``, a gateway on loopback)."""
    if base.is_local:
        return False
    host = urlparse(base.server if "://" in base.server else f"//{base.server}").hostname
    return host not in ("127.0.0.1", "localhost", "::1")


def confirmed(command: str, base: Any, what: str, callers: int, seconds: float,
              yes: bool) -> bool:
    """Show the estimated cost of ``callers`` conversations of ``seconds`` each (``what`` says
    what they are); ask unless ``yes``. ``False``: the run must not start."""
    estimate = estimate_usd(base, callers, seconds)
    cost = "unknown (no price known for this model)" if estimate is None else \
        f"about ${estimate:.2f} at most (list prices; audio both ways for the whole run)"
    print(f"voicechat {command}: {what} against {base.describe_server()}: {cost}", flush=True)
    if yes:
        return True
    if not sys.stdin.isatty():
        why = "" if "server" in base.origins or "provider" in base.origins else (
            " (no --server was given: an API key in the environment chose it; "
            "--server local runs offline)")
        print(f"voicechat {command}: a paid service and no terminal to ask on: pass --yes to "
              f"run{why}", file=sys.stderr)
        return False
    answer = input("run it? [y/N] ").strip().lower()
    return answer in ("y", "yes")


def estimate_usd(base: Any, callers: int, seconds: float) -> float | None:
    """An upper bound: every caller's audio in for the whole run, and the model speaking half
    the time (per-minute services: the minutes)."""
    from voicechat.protocol.pricing import prices_for
    from voicechat.protocol.providers import minutes_cost_usd

    profile = base.profile
    if profile.price_per_minute_usd is not None:
        per_call = minutes_cost_usd(profile, seconds)
        return None if per_call is None else per_call * callers
    prices = prices_for(str(base.model), base.prices)
    if prices is None:
        return None
    tokens_in = AUDIO_TOKENS_IN_PER_S * seconds
    tokens_out = AUDIO_TOKENS_OUT_PER_S * seconds / 2
    per_call = (tokens_in * prices.audio_input + tokens_out * prices.audio_output) / 1e6
    return per_call * callers
