"""The tracks' Opus encoder: libopus called directly, PyAV as the fallback, the same stream.

The direct encoder (:class:`voicechat.rtc.libopus.MonoEncoder`) replaced PyAV's route for speed;
these tests hold it to what PyAV's gave: a voice-mode mono stream every Opus decoder plays, the
settled silence repeated byte for byte, and clear errors for what libopus refuses.
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from voicechat.rtc import libopus
from voicechat.rtc.opus import (
    COMPLEXITY,
    SERVER_COMPLEXITY,
    SETTLE_FRAMES,
    OpusFrameEncoder,
)

FRAME = 960


def speech_like(frames: int, seed: int = 7) -> np.ndarray:
    """Voiced-sounding audio: a 140 Hz pulse train through formant-ish resonances, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames * FRAME) / 48000
    pitch = 140 * (1 + 0.1 * np.sin(2 * np.pi * 3 * t))
    voiced = sum(np.sin(2 * np.pi * k * np.cumsum(pitch) / 48000) / k for k in range(1, 20))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 2 * t) ** 2
    pcm = 3000 * envelope * voiced + 200 * rng.standard_normal(t.size)
    return np.clip(pcm, -32768, 32767).astype(np.int16)


def encode_all(encoder: OpusFrameEncoder, pcm: np.ndarray) -> list[bytes]:
    return [bytes(encoder.encode(pcm[i : i + FRAME], i)) for i in range(0, pcm.size, FRAME)]


def decode_all(payloads: list[bytes]) -> np.ndarray:
    """Decoded by FFmpeg's libopus decoder through PyAV, as aiortc's receiver does (stereo)."""
    codec = av.CodecContext.create("libopus", "r")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    out = []
    for payload in payloads:
        for frame in codec.decode(av.Packet(payload)):
            out.append(frame.to_ndarray().reshape(-1, 2)[:, 0])
    return np.concatenate(out)


def snr_db(reference: np.ndarray, decoded: np.ndarray) -> float:
    """Waveform SNR after aligning on the codec's delay (found by cross-correlation)."""
    x, y = reference.astype(float), decoded.astype(float)
    lag = max(range(200, 400), key=lambda s: float(np.dot(x[: y.size - s], y[s:])))
    x, y = x[: y.size - lag], y[lag:]
    return float(10 * np.log10((x**2).sum() / ((x - y) ** 2).sum()))


def test_the_direct_encoder_is_the_one_used_here() -> None:
    # PyAV's wheels bundle libopus: on this machine kind the direct path must be taken
    assert libopus.load() is not None
    assert OpusFrameEncoder().direct
    assert not OpusFrameEncoder(direct=False).direct


@pytest.mark.parametrize("complexity", [COMPLEXITY, SERVER_COMPLEXITY])
def test_the_direct_encoder_writes_pyavs_stream_byte_for_byte(complexity: int) -> None:
    # the same libopus with the same settings (voice mode, mono, bit rate, complexity)
    pcm = speech_like(100)
    direct = encode_all(OpusFrameEncoder(complexity), pcm)
    pyav = encode_all(OpusFrameEncoder(complexity, direct=False), pcm)
    assert len(direct) == 100
    assert direct == pyav


def test_the_server_complexity_keeps_the_waveform() -> None:
    pcm = speech_like(100, seed=3)
    high = snr_db(pcm, decode_all(encode_all(OpusFrameEncoder(COMPLEXITY), pcm)))
    low = snr_db(pcm, decode_all(encode_all(OpusFrameEncoder(SERVER_COMPLEXITY), pcm)))
    reversed_pcm = np.ascontiguousarray(pcm[::-1])
    noise = snr_db(pcm, decode_all(encode_all(OpusFrameEncoder(COMPLEXITY), reversed_pcm)))
    assert high > noise + 3.0, (high, noise)  # the measure sees the waveform
    assert low > high - 1.0, (low, high)


def test_settled_silence_repeats_one_packet_with_the_direct_encoder() -> None:
    encoder = OpusFrameEncoder()
    encode_all(encoder, speech_like(5))
    silence = encode_all(encoder, np.zeros(FRAME * (SETTLE_FRAMES + 10), np.int16))
    assert len(set(silence[SETTLE_FRAMES:])) == 1
    assert encoder.encoded == 5 + SETTLE_FRAMES
    # and speech after it is encoded for real again
    before = encoder.encoded
    encode_all(encoder, speech_like(2))
    assert encoder.encoded == before + 2


def test_libopus_encoder_refuses_what_libopus_cannot_do() -> None:
    lib = libopus.load()
    assert lib is not None
    with pytest.raises(ValueError, match="not 44100"):
        libopus.MonoEncoder(lib, 44100, bit_rate=48000, complexity=5)
    with pytest.raises(ValueError, match="0 to 10"):
        libopus.MonoEncoder(lib, 48000, bit_rate=48000, complexity=11)
    encoder = libopus.MonoEncoder(lib, 48000, bit_rate=48000, complexity=5)
    with pytest.raises(libopus.OpusEncodeError):
        encoder.encode(np.zeros(1000, np.int16))  # not a frame length libopus takes
    # a non-contiguous or non-int16 frame is converted, not misread
    strided = np.repeat(speech_like(1), 2)[::2]
    assert encoder.encode(strided)
    encoder.close()
    with pytest.raises(libopus.OpusEncodeError, match="closed"):
        encoder.encode(np.zeros(FRAME, np.int16))
    encoder.close()  # twice is harmless


def test_a_libopus_that_refuses_the_settings_leaves_pyavs_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise libopus.OpusEncodeError(-1)

    monkeypatch.setattr(libopus, "MonoEncoder", refuse)
    encoder = OpusFrameEncoder()
    assert not encoder.direct
    pcm = speech_like(3)
    assert encode_all(encoder, pcm) == encode_all(OpusFrameEncoder(direct=False), pcm)


def test_apple_arm64_keeps_pyavs_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    # its ABI passes variadic arguments on the stack: opus_encoder_ctl cannot be called there
    monkeypatch.setattr(libopus.sys, "platform", "darwin")
    monkeypatch.setattr(libopus.platform, "machine", lambda: "arm64")
    assert not libopus.can_set_encoder_options()
    assert not OpusFrameEncoder().direct
    monkeypatch.setattr(libopus.platform, "machine", lambda: "x86_64")
    assert libopus.can_set_encoder_options()
