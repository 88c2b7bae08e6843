"""Audio mime types (``audio/pcm;rate=16000``) and protobuf durations (``"9.5s"``).

Gemini Live states the rate inside the mime type of every blob. Input is 16 kHz natively and
the service resamples another declared rate (Google's docs: "any sample rate can be sent");
output is always ``audio/pcm;rate=24000``. Durations (``goAway.timeLeft``) are protobuf
``Duration`` JSON: seconds with an ``s`` suffix.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from voicechat.protocol.gemini import names

_DURATION = re.compile(r"^(-?\d+(?:\.\d{1,9})?)s$")


class PcmFormat(NamedTuple):
    """A parsed ``audio/pcm`` mime type."""

    rate: int
    #: whether the mime stated the rate (a bare ``audio/pcm`` is read as 16 kHz)
    stated: bool


def parse_pcm_mime(mime: object, default_rate: int = names.INPUT_RATE) -> PcmFormat | None:
    """``audio/pcm;rate=N`` as a format, or ``None`` when it is not PCM with a usable rate.

    Parameters are case-insensitive and may have spaces (``audio/pcm; rate=16000``); a rate
    outside :data:`~voicechat.protocol.gemini.names.MIN_RATE`–``MAX_RATE`` is unusable.
    """
    if not isinstance(mime, str):
        return None
    kind, *params = (part.strip() for part in mime.split(";"))
    if kind.lower() != names.PCM:
        return None
    rate: int | None = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() != "rate":
            return None  # an unknown parameter: not a format this service documents
        if not value.strip().isdecimal():
            return None
        rate = int(value.strip())
    if rate is None:
        return PcmFormat(default_rate, stated=False)
    if not names.MIN_RATE <= rate <= names.MAX_RATE:
        return None
    return PcmFormat(rate, stated=True)


def pcm_mime(rate: int) -> str:
    return f"{names.PCM};rate={rate}"


def format_duration(seconds: float) -> str:
    """Seconds as protobuf Duration JSON: ``9.5`` → ``"9.5s"``, ``10`` → ``"10s"``."""
    text = f"{max(seconds, 0.0):.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def parse_duration(value: object) -> float | None:
    """``"9.5s"`` → ``9.5``; ``None`` when ``value`` is not a Duration string."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value.strip())
    return float(match.group(1)) if match else None


def b64_length(data: str) -> int:
    """Decoded length of base64 ``data``, without decoding it."""
    if not data:
        return 0
    return len(data) // 4 * 3 - data[-2:].count("=")
