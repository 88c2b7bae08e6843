"""The session's audio format on a primary WebSocket, both ways, and input audio to 16 kHz.

One ``audio.format`` serves both directions (``audio/pcm`` at 16 or 24 kHz, G.711 µ-law or
A-law at 8 kHz); WebRTC negotiates Opus instead and never uses these. Input must be whole
samples: PCM16 with an odd byte count is refused with Azure's documented wording.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import numpy as np

from voicechat.protocol.live import errors, names
from voicechat.protocol.live.errors import LiveError
from voicechat.rtc import dsp

TTS_RATE = 24000
ASR_RATE = 16000


def format_rate(fmt: Mapping[str, Any]) -> int:
    if fmt.get("type") in (names.AUDIO_PCMU, names.AUDIO_PCMA):
        return 8000
    rate = fmt.get("rate", 24000)
    return int(rate) if isinstance(rate, int) else 24000


def decode_input(audio: str, fmt: Mapping[str, Any]) -> tuple[np.ndarray, int] | LiveError:
    """``session.input_audio.append``'s audio as int16 samples and their rate."""
    try:
        raw = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        return errors.audio_not_base64()
    if not raw:
        return errors.empty_audio()
    kind = fmt.get("type")
    if kind == names.AUDIO_PCMU:
        return dsp.ulaw_decode(raw), 8000
    if kind == names.AUDIO_PCMA:
        return dsp.alaw_decode(raw), 8000
    if len(raw) % 2:
        return errors.odd_pcm_bytes()
    return np.frombuffer(raw, dtype="<i2").astype(np.int16), format_rate(fmt)


def encode_output(pcm24k: np.ndarray, fmt: Mapping[str, Any]) -> str:
    """24 kHz speech as base64 in the session's format (``session.output_audio.delta``)."""
    kind = fmt.get("type")
    if kind == names.AUDIO_PCMU:
        raw = dsp.ulaw_encode(dsp.resample(pcm24k, TTS_RATE, 8000))
    elif kind == names.AUDIO_PCMA:
        raw = dsp.alaw_encode(dsp.resample(pcm24k, TTS_RATE, 8000))
    else:
        rate = format_rate(fmt)
        pcm = pcm24k if rate == TTS_RATE else dsp.resample(pcm24k, TTS_RATE, rate)
        raw = np.asarray(pcm, dtype="<i2").tobytes()
    return base64.b64encode(raw).decode("ascii")
