"""Estimated prices of the Realtime models, in USD per 1M tokens — the one price table.

Why a table at all: ``response.done`` reports tokens, never money, and the user wants to know
what a conversation costs while it runs. Every figure shown from this table is an *estimate*:
prices change, contracts differ, and Azure bills differently. The figures are the public list
prices as best known on :data:`PRICES_TAKEN`; the config file's ``[voicechat.prices]`` table
overrides any of them (``[voicechat.prices."gpt-realtime"] audio_input = 32.0``).

Cached input tokens are a subset of the input tokens (the service counts them inside
``input_tokens``), so they are billed at the cached rate *instead of* the full rate. When the
usage does not split the cached tokens into text and audio (beta servers have no
``cached_tokens_details``), they are apportioned in the ratio of text to audio input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

#: When the figures below were taken from the public price list (they are estimates).
PRICES_TAKEN = "2025-10"
ESTIMATE_LABEL = f"estimate, list prices of {PRICES_TAKEN}"


@dataclass(frozen=True)
class Prices:
    """USD per 1M tokens of one model."""

    text_input: float
    cached_text_input: float
    text_output: float
    audio_input: float
    cached_audio_input: float
    audio_output: float


#: By model name prefix; the longest matching prefix wins (dated snapshots match their family).
PRICES: dict[str, Prices] = {
    "gpt-realtime-mini": Prices(0.60, 0.06, 2.40, 10.00, 0.30, 20.00),
    "gpt-realtime": Prices(4.00, 0.40, 16.00, 32.00, 0.40, 64.00),
    "gpt-4o-mini-realtime": Prices(0.60, 0.30, 2.40, 10.00, 0.30, 20.00),
    "gpt-4o-realtime": Prices(5.00, 2.50, 20.00, 40.00, 2.50, 80.00),
}

PRICE_FIELDS = tuple(f.name for f in fields(Prices))


@dataclass(frozen=True)
class Tokens:
    """Token counts of one response (or a sum of them); cached counts are part of the input."""

    input_text: int = 0
    input_audio: int = 0
    input_image: int = 0
    cached_text: int = 0
    cached_audio: int = 0
    cached_unsplit: int = 0  # cached tokens the usage did not split into text and audio
    output_text: int = 0
    output_audio: int = 0
    input_total: int = 0
    output_total: int = 0

    @property
    def cached(self) -> int:
        return self.cached_text + self.cached_audio + self.cached_unsplit

    @property
    def total(self) -> int:
        return self.input_total + self.output_total

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                         for f in fields(Tokens)})


def tokens_from_usage(usage: Any) -> Tokens | None:
    """Read ``response.usage`` (GA and beta use the same names); ``None`` if it is no object.

    Wrong-typed or missing counts read as 0; unknown keys are ignored.
    """
    if not isinstance(usage, Mapping):
        return None
    details_in = _map(usage.get("input_token_details"))
    details_out = _map(usage.get("output_token_details"))
    cached_split = _map(details_in.get("cached_tokens_details"))
    cached = _int(details_in.get("cached_tokens"))
    cached_text = _int(cached_split.get("text_tokens"))
    cached_audio = _int(cached_split.get("audio_tokens"))
    unsplit = max(0, cached - cached_text - cached_audio - _int(cached_split.get("image_tokens")))
    in_text, in_audio = _int(details_in.get("text_tokens")), _int(details_in.get("audio_tokens"))
    in_image = _int(details_in.get("image_tokens"))
    out_text = _int(details_out.get("text_tokens"))
    out_audio = _int(details_out.get("audio_tokens"))
    return Tokens(
        input_text=in_text, input_audio=in_audio, input_image=in_image,
        cached_text=cached_text, cached_audio=cached_audio, cached_unsplit=unsplit,
        output_text=out_text, output_audio=out_audio,
        input_total=_int(usage.get("input_tokens")) or in_text + in_audio + in_image,
        output_total=_int(usage.get("output_tokens")) or out_text + out_audio,
    )


def prices_for(model: str | None, overrides: Mapping[str, Mapping[str, Any]] | None = None
               ) -> Prices | None:
    """The prices of ``model`` (longest prefix), with the config's overrides laid over them.

    An override table for a model the built-in table does not know must name every field.
    """
    if not model:
        return None
    table = dict(PRICES)
    for name, values in (overrides or {}).items():
        if not isinstance(values, Mapping):
            continue
        floats = {k: float(v) for k, v in values.items()
                  if k in PRICE_FIELDS and _price(v)}
        base = table.get(name)
        if base is not None:
            table[name] = replace(base, **floats)
        elif len(floats) == len(PRICE_FIELDS):
            table[name] = Prices(**floats)
    match = max((name for name in table if model.startswith(name)), key=len, default=None)
    return table[match] if match is not None else None


def estimate_usd(tokens: Tokens, prices: Prices) -> float:
    """The estimated cost of ``tokens`` at ``prices`` (cached input at the cached rate)."""
    cached_text, cached_audio = float(tokens.cached_text), float(tokens.cached_audio)
    if tokens.cached_unsplit:
        speech = tokens.input_text + tokens.input_audio
        share = tokens.input_audio / speech if speech else 0.0
        cached_audio += tokens.cached_unsplit * share
        cached_text += tokens.cached_unsplit * (1.0 - share)
    usd = (
        max(0.0, tokens.input_text - cached_text) * prices.text_input
        + cached_text * prices.cached_text_input
        + max(0.0, tokens.input_audio - cached_audio) * prices.audio_input
        + cached_audio * prices.cached_audio_input
        + tokens.output_text * prices.text_output
        + tokens.output_audio * prices.audio_output
    )
    return usd / 1_000_000


def tokens_line(tokens: Tokens) -> str:
    """``in 1120 (text 1000, audio 120, cached 960) · out 252 (text 52, audio 200)``."""
    t = tokens
    return (
        f"in {t.input_total} (text {t.input_text}, audio {t.input_audio}, cached {t.cached})"
        f" · out {t.output_total} (text {t.output_text}, audio {t.output_audio})"
    )


def cost_text(usd: float | None) -> str:
    """``~$0.0123 (estimate)``, or ``no price for this model`` — never a bare dollar figure."""
    if usd is None:
        return "cost unknown (no price for this model)"
    return f"~${usd:.4f} (estimate)"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if math.isfinite(value) and value > 0 else 0


def _price(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value) and value >= 0)
