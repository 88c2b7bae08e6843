"""The server's inline Opus receive path: decoding to 16 kHz mono, known silence, order and loss.

The aiortc internals it replaces are the ones :mod:`voicechat.rtc.aiortc_jitter` replaces;
``tests/rtc/test_aiortc_jitter.py`` fails first if they move. The whole path over real WebRTC
(speech in, VAD turn, transcript) is ``tests/server/test_webrtc.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtpPacket

from voicechat.rtc import libopus
from voicechat.rtc.inline_receive import (
    MAX_CONCEAL,
    DecodedInput,
    InlineOpusReceive,
    install_inline_receive,
)
from voicechat.rtc.opus import OpusFrameEncoder, OpusInputDecoder

FRAME = 960


def tone(frames: int, hz: float = 1000.0, level: float = 8000.0) -> np.ndarray:
    t = np.arange(frames * FRAME) / 48000
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def packets(pcm: np.ndarray, encoder: OpusFrameEncoder, start: int = 0) -> list[bytes]:
    return [
        bytes(encoder.encode(pcm[i : i + FRAME], start + i))
        for i in range(0, pcm.size, FRAME)
    ]


#: both input paths: libopus straight at 16 kHz, and PyAV at 48 kHz plus the resampler
DIRECT = pytest.mark.parametrize("direct", [True, False], ids=["libopus", "pyav"])


def test_libopus_decodes_the_server_input_itself() -> None:
    # PyAV's wheels bundle libopus, and the system has one: the direct path is the one used
    assert libopus.load() is not None
    assert OpusInputDecoder(16000).direct
    assert not OpusInputDecoder(16000, direct=False).direct
    assert not OpusInputDecoder(22050).direct, "a rate libopus cannot decode at is resampled"


def test_libopus_conceals_and_refuses_garbage() -> None:
    lib = libopus.load()
    assert lib is not None
    decoder = libopus.MonoDecoder(lib, 16000)
    first = decoder.decode(packets(tone(1), OpusFrameEncoder())[0])
    assert first.size == 320
    assert decoder.decode(None, 320).size == 320  # a lost frame, concealed
    with pytest.raises(libopus.OpusDecodeError):
        decoder.decode(b"\xff\xff\xff")
    decoder.close()
    with pytest.raises(libopus.OpusDecodeError):
        decoder.decode(first.tobytes())
    with pytest.raises(ValueError):
        libopus.MonoDecoder(lib, 44100)


@DIRECT
def test_decodes_to_16k_mono_with_the_tone_where_it_was(direct: bool) -> None:
    encoder, decoder = OpusFrameEncoder(), OpusInputDecoder(16000, direct=direct)
    out = [decoder.decode(p) for p in packets(tone(50), encoder)]
    # (the resampler's filter holds back its delay once, at the start)
    assert all(chunk.size == 320 for chunk in out[1:])
    pcm = np.concatenate(out)[1600:]  # past the codec's and the filter's start-up
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * 16000 / pcm.size
    assert abs(peak_hz - 1000) < 20
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 8000 / np.sqrt(2) * 0.7


@DIRECT
def test_known_silence_skips_the_decoder_and_sound_resumes_at_once(direct: bool) -> None:
    encoder, decoder = OpusFrameEncoder(), OpusInputDecoder(16000, direct=direct)
    for p in packets(tone(10), encoder):
        decoder.decode(p)
    silent = packets(np.zeros(100 * FRAME, np.int16), encoder, 10 * FRAME)
    quiet = [decoder.decode(p) for p in silent]
    assert decoder.decoded < 10 + 20, "repeated silent packets were all decoded"
    assert not np.concatenate(quiet[20:]).any()
    assert all(chunk.size == 320 for chunk in quiet)
    loud = [decoder.decode(p) for p in packets(tone(10), encoder, 110 * FRAME)]
    assert np.abs(np.concatenate(loud[2:])).max() > 4000


async def test_packets_in_order_are_decoded_gaps_concealed_and_stragglers_dropped() -> None:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio")
        receiver = pc.getReceivers()[0]
        codecs = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]
        codecs[111] = RTCRtpCodecParameters(
            mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111
        )
        got: list[tuple[int, int]] = []
        inline = InlineOpusReceive(receiver, lambda pcm, rate: got.append((pcm.size, rate)))
        data = packets(tone(30), OpusFrameEncoder())

        def send(seq: int) -> None:
            packet = RtpPacket(payload_type=111, sequence_number=seq & 0xFFFF,
                               timestamp=seq * FRAME, payload=data[seq % len(data)])
            assert inline.add(packet) == (False, None)  # aiortc's decoder thread gets nothing

        for seq in (65530, 65531, 65532):  # across the 16-bit wrap
            send(seq)
        assert len(got) == 3
        send(65535)  # two lost: concealed, so the input's clock keeps time
        assert len(got) == 6
        send(65534)  # late
        send(65535)  # duplicate
        assert len(got) == 6
        send(65536 + 2)  # seq 2 after 65535: 0 and 1 lost
        assert len(got) == 9
        send(65536 + 2 + 100)  # a long pause: at most MAX_CONCEAL frames concealed
        assert len(got) == 9 + MAX_CONCEAL + 1
        assert {size for size, _ in got[1:]} == {320} and {rate for _, rate in got} == {16000}
        inline.add(RtpPacket(payload_type=111, sequence_number=3 + 100, payload=b"\xff\xff\xff"))
        assert inline.decode_errors == 1
        assert len(got) == 9 + MAX_CONCEAL + 2, "a corrupt packet is concealed, not fatal"
        codecs[0] = RTCRtpCodecParameters(mimeType="audio/PCMU", clockRate=8000, payloadType=0)
        inline.add(RtpPacket(payload_type=0, sequence_number=5000, payload=b"\xff" * 160))
        assert len(got) == 9 + MAX_CONCEAL + 2, "only Opus is decoded inline"
    finally:
        await pc.close()


async def test_install_puts_it_in_the_receiver_of_that_track_only() -> None:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio")
        receiver = pc.getReceivers()[0]
        receiver._track = RemoteStreamTrack(kind="audio")  # what setRemoteDescription does
        inline = install_inline_receive(pc, receiver.track, lambda pcm, rate: None)
        assert isinstance(inline, InlineOpusReceive)
        assert receiver._RTCRtpReceiver__jitter_buffer is inline  # type: ignore[attr-defined]
        stranger = RemoteStreamTrack(kind="audio")
        assert install_inline_receive(pc, stranger, lambda pcm, rate: None) is None
    finally:
        await pc.close()


async def test_frames_queued_while_the_consumer_was_busy_come_in_one_take() -> None:
    frames = DecodedInput()
    first, second, third = (np.full(320, n, np.int16) for n in (1, 2, 3))
    frames.put(first, 16000)
    pcm, rate = await frames.take()
    assert rate == 16000 and pcm is first  # one frame: handed on as it is
    frames.put(second, 16000)
    frames.put(third, 16000)
    pcm, rate = await frames.take()  # both at once, in order
    assert rate == 16000 and pcm.tolist() == [2] * 320 + [3] * 320
