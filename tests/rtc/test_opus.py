"""The tracks' own Opus encoder: real packets, and settled silence repeated instead of encoded."""

from __future__ import annotations

import numpy as np
from av import CodecContext

from voicechat.rtc.opus import SETTLE_FRAMES, OpusFrameEncoder

FRAME = 960


def decoded_peaks(encoder: OpusFrameEncoder, pcm: np.ndarray) -> list[int]:
    decoder = CodecContext.create("libopus", "r")
    decoder.format, decoder.layout, decoder.sample_rate = "s16", "stereo", 48000
    peaks = []
    for n in range(pcm.size // FRAME):
        packet = encoder.encode(pcm[n * FRAME : (n + 1) * FRAME], n * FRAME)
        assert packet.pts == n * FRAME and packet.size > 0
        for frame in decoder.decode(packet):
            peaks.append(int(np.abs(frame.to_ndarray()).max()))
    return peaks


def test_silence_is_repeated_once_settled_and_sound_resumes_at_full_level() -> None:
    t = np.arange(FRAME * 60)
    pcm = (5000 * np.sin(2 * np.pi * 440 * t / 48000)).astype(np.int16)
    pcm[FRAME * 5 : FRAME * 40] = 0  # 35 silent frames between two stretches of tone
    encoder = OpusFrameEncoder()
    peaks = decoded_peaks(encoder, pcm)
    # only the first SETTLE_FRAMES silent frames were encoded; the rest repeated the last one
    assert encoder.encoded == 60 - (35 - SETTLE_FRAMES)
    assert max(peaks[10:40]) <= 2  # the repeated packet still decodes to silence
    assert all(4500 < p < 6000 for p in peaks[41:])  # the tone comes back whole
