"""GPT-Live facts about the wire that the client core, the doctor and the event log read alike.

What :mod:`voicechat.protocol.live.names` does not hold: which event types tell a GPT-Live log
from a Realtime one, how long a base64 audio chunk is and whether it is exact silence, and how
to cut a result so it fits one append. Where the sources are unsure, the official SDK's types
(``openai.types.live``, openai 3.52.0) decide, and the decision is written where it is made.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any

from voicechat.protocol import names as realtime_names
from voicechat.protocol.live import names

#: Types only GPT-Live uses: one of them in a log makes it a GPT-Live log. Every name
#: Realtime also uses (either dialect, Azure's extras included: ``error``, ``session.update``,
#: ``session.updated``, ``response.create``, ``session.close``) is left out, so the set is
#: worked out from both vocabularies rather than listed.
LIVE_ONLY_TYPES = frozenset((*names.CLIENT_EVENTS, *names.SERVER_EVENTS)) - frozenset().union(
    *realtime_names.CLIENT_EVENTS.values(), *realtime_names.SERVER_EVENTS.values(),
    *realtime_names.AZURE_EXTRA_CLIENT_EVENTS.values(), realtime_names.WEBRTC_ONLY_SERVER_EVENTS)


def is_live_event(event: Mapping[str, Any]) -> bool:
    """Whether ``event``'s type belongs to GPT-Live alone (see :data:`LIVE_ONLY_TYPES`)."""
    return event.get("type") in LIVE_ONLY_TYPES


def fit_append(text: str, limit: int = names.APPEND_MAX_TOKENS) -> str:
    """``text`` cut, with a trailing note, so its estimate stays within ``limit`` tokens.

    For results the client must hand back (a client delegation's answer): a result cut short
    is better than one the server refuses, which leaves the model waiting.
    """
    if names.estimate_tokens(text) <= limit:
        return text
    note = " [cut to fit the 500-token append limit]"
    keep = max(0, int(limit * names.CHARS_PER_TOKEN) - len(note))
    while keep > 0 and names.estimate_tokens(text[:keep] + note) > limit:
        keep -= 1
    return text[:keep] + note


#: µ-law and A-law each have two codes for zero (positive and negative).
_SILENT_BYTES = {names.AUDIO_PCM: b"\x00", names.AUDIO_PCMU: b"\xff\x7f",
                 names.AUDIO_PCMA: b"\xd5\x55"}


def _format(audio_format: Mapping[str, Any] | None) -> tuple[str, int]:
    kind = audio_format.get("type") if isinstance(audio_format, Mapping) else None
    rate = audio_format.get("rate") if isinstance(audio_format, Mapping) else None
    if kind not in _SILENT_BYTES:
        kind = names.AUDIO_PCM
    if isinstance(rate, bool) or not isinstance(rate, int) or rate not in (8000, 16000, 24000):
        rate = 24000 if kind == names.AUDIO_PCM else 8000
    return str(kind), rate


def bytes_per_ms(audio_format: Mapping[str, Any] | None) -> float:
    """Bytes of one millisecond in ``audio_format`` (SDK ``AudioFormat``; default PCM16
    24 kHz: 48 bytes; G.711 at 8 kHz: 8 bytes)."""
    kind, rate = _format(audio_format)
    return rate / 1000.0 * (2 if kind == names.AUDIO_PCM else 1)


def b64_length(data: str) -> int:
    """Decoded length of base64 ``data``, without decoding it."""
    if not data:
        return 0
    return len(data) // 4 * 3 - data[-2:].count("=")


def is_silent(data: str, audio_format: Mapping[str, Any] | None) -> bool | None:
    """Whether a base64 chunk is exact digital silence (``None``: not base64).

    The service streams output audio continuously and encodes silence as exact zeros (LiveKit's
    plugin and a probe note, reference §5 #9), so this checks for the format's zero codes and
    nothing else: a level threshold would only add a guess.
    """
    try:
        raw = binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return None
    kind, _ = _format(audio_format)
    return not raw.strip(_SILENT_BYTES[kind])
