"""The WebRTC audio tracks' rate and frame size, importable without aiortc.

Why a module of their own: the local server's WebSocket path and the GPT-Live ports use these
figures, and importing them from :mod:`voicechat.rtc.tracks` loaded aiortc, PyAV and
cryptography (~0.6 s of CPU) into every process that never makes a WebRTC call.
"""

from __future__ import annotations

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms, what Opus in aiortc encodes per packet
FRAME_MS = FRAME_SAMPLES / SAMPLE_RATE * 1000.0
