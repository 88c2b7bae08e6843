"""The aiortc internals the adaptive buffer relies on, and Opus concealment through its decoder.

If aiortc changes (a version bump, a refactor of ``RTCRtpReceiver``), these fail first and say
what moved: see the module docstring of :mod:`voicechat.rtc.aiortc_jitter`.
"""

from __future__ import annotations

import fractions
import inspect
import tomllib
from pathlib import Path

import aiortc
import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs.opus import OpusDecoder, OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver, decoder_worker
from av import AudioFrame

from voicechat.rtc.aiortc_jitter import (
    AIORTC_VERSION,
    AdaptiveAudioReceive,
    AiortcInternalsChanged,
    check_receiver,
    plc_packet,
)

ROOT = Path(__file__).resolve().parents[2]


def test_aiortc_is_pinned_to_the_version_whose_internals_we_use() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"aiortc=={AIORTC_VERSION}" in deps
    assert aiortc.__version__ == AIORTC_VERSION


def test_receiver_internals_have_the_shape_we_replace() -> None:
    # the calls we stand in for, as aiortc 1.16.0 writes them
    handle = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)" in handle
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle
    assert "codec, encoded_frame = task" in inspect.getsource(decoder_worker)
    init = inspect.getsource(RTCRtpReceiver.__init__)
    assert "JitterBuffer(capacity=16, prefetch=4)" in init, "the stock audio buffer changed"


async def test_check_receiver_accepts_a_real_receiver_and_refuses_another_shape() -> None:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio")
        receiver = pc.getReceivers()[0]
        check_receiver(receiver)
        adaptive = AdaptiveAudioReceive(receiver)
        adaptive.close()
        del receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
        with pytest.raises(AiortcInternalsChanged, match="decoder_queue"):
            check_receiver(receiver)
    finally:
        await pc.close()


def _opus_packets(count: int) -> list[bytes]:
    encoder = OpusEncoder()
    t = np.arange(960 * count) / 48000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    packets: list[bytes] = []
    for i in range(count):
        stereo = np.repeat(tone[i * 960 : (i + 1) * 960], 2).reshape(1, -1)
        frame = AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.pts = i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        packets += encoder.encode(frame)[0]
    return packets


def test_opus_plc_packet_conceals_one_frame_that_continues_the_sound() -> None:
    packets = _opus_packets(20)
    decoder = OpusDecoder()
    levels = []
    for i, packet in enumerate(packets[:16]):
        data = plc_packet(packets[i - 1]) if i in (10, 11) else packet
        assert len(data) == (1 if i in (10, 11) else len(packet))
        (frame,) = decoder.decode(JitterFrame(data, None if i in (10, 11) else i * 960))  # type: ignore[arg-type]
        assert frame.samples == 960
        pcm = frame.to_ndarray().reshape(-1).astype(np.float64)
        levels.append(float(np.sqrt(np.mean(pcm**2))))
    tone_level = levels[8]
    assert levels[10] > tone_level / 4, "the concealed frame carries the tone on, not silence"
    assert levels[12] > tone_level / 2, "and real audio resumes after it"


async def test_changed_internals_keep_aiortcs_own_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiortc.jitterbuffer import JitterBuffer

    import voicechat.rtc.aiortc_jitter as wiring

    monkeypatch.setattr(wiring, "AIORTC_VERSION", "0.0.0")
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio")
        receiver = pc.getReceivers()[0]
        receiver._track = RemoteStreamTrack(kind="audio")  # what setRemoteDescription does
        assert wiring.install_jitter_buffer(pc, receiver.track) is None
        assert isinstance(vars(receiver)["_RTCRtpReceiver__jitter_buffer"], JitterBuffer)
    finally:
        await pc.close()
