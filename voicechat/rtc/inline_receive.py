"""Incoming audio decoded where it arrives, for the local server: no decoder thread or buffer.

aiortc hands every audio RTP packet to its jitter buffer, then each frame through a
``queue.Queue`` to a decoder thread, which decodes to 48 kHz stereo and hops back to the event
loop with ``run_coroutine_threadsafe``: two thread handoffs per 20 ms packet per session, each a
GIL hand-over and a wake-up of the loop. The server neither plays the audio nor needs it in
lock-step with a clock: it feeds VAD and ASR at 16 kHz. :class:`InlineOpusReceive` therefore
stands in for the receiver's jitter buffer (the same aiortc internals as
:mod:`voicechat.rtc.aiortc_jitter`, checked by :func:`check_receiver`, pinned aiortc==1.16.0)
and decodes each packet on arrival, in the loop thread, with :class:`OpusInputDecoder` (mono,
straight to the rate wanted, known silence skipped), then calls ``on_audio``. aiortc's decoder
thread is still started but never gets work.

Order: on loopback packets arrive in order; a duplicate or a packet older than the last one
decoded is dropped (it would be too late anyway); a gap is concealed frame by frame (libopus
PLC), up to :data:`MAX_CONCEAL` frames, so the input's clock (the VAD's milliseconds) keeps
counting the time the sender spoke.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av
import numpy as np
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcpeerconnection import RTCPeerConnection
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from voicechat.rtc.aiortc_jitter import _CODECS, check_receiver, install_on_receiver
from voicechat.rtc.libopus import OpusDecodeError
from voicechat.rtc.opus import OpusInputDecoder

#: a longer gap is not concealed (a sender that paused its stream): the input just resumes
MAX_CONCEAL = 10

logger = logging.getLogger(__name__)

OnAudio = Callable[[np.ndarray, int], None]


class InlineOpusReceive:
    """Stands in for aiortc's audio jitter buffer: decodes each Opus packet as it arrives."""

    def __init__(self, receiver: RTCRtpReceiver, on_audio: OnAudio, rate: int = 16000) -> None:
        check_receiver(receiver)
        self._codecs: dict[int, object] = getattr(receiver, _CODECS)
        self.decoder = OpusInputDecoder(rate)
        self._on_audio = on_audio
        self._last_seq: int | None = None
        self.decode_errors = 0
        self.closed = False

    # aiortc's interface (RTCRtpReceiver._handle_rtp_packet calls this) ---------------------------

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        codec = self._codecs.get(packet.payload_type)
        if self.closed or codec is None or getattr(codec, "name", "").lower() != "opus":
            return False, None
        seq = packet.sequence_number
        rate = self.decoder.rate
        if self._last_seq is not None:
            step = (seq - self._last_seq) & 0xFFFF
            if step == 0 or step >= 0x8000:
                return False, None  # a duplicate, or older than what was already decoded
            for _ in range(min(step - 1, MAX_CONCEAL)):
                self._on_audio(self.decoder.conceal(), rate)
        self._last_seq = seq
        try:
            pcm = self.decoder.decode(packet.payload)
        except (av.FFmpegError, OpusDecodeError) as exc:  # corrupt: conceal it, as lost
            self.decode_errors += 1
            if self.decode_errors == 1:
                logger.warning("undecodable Opus packet concealed: %s", exc)
            pcm = self.decoder.conceal()
        self._on_audio(pcm, rate)
        return False, None

    def close(self) -> None:
        self.closed = True


def install_inline_receive(
    pc: RTCPeerConnection, track: MediaStreamTrack, on_audio: OnAudio, rate: int = 16000
) -> InlineOpusReceive | None:
    """Decode remote audio ``track`` inline, handing ``on_audio(pcm, rate)`` each frame.

    Call it from the peer connection's ``track`` event (before media flows). ``None`` for a
    track that is not audio or not one of ``pc``'s receivers, and when aiortc's internals
    changed (a warning is logged): then the caller reads the track as usual.
    """
    return install_on_receiver(pc, track,
                               lambda receiver: InlineOpusReceive(receiver, on_audio, rate),
                               "inline decoding")


class DecodedInput:
    """Frames :class:`InlineOpusReceive` decoded, queued for the one task that feeds them on
    (both servers' WebRTC calls): what arrived while that task was busy is taken in one call,
    so a slow consumer catches up in one step instead of one wake-up per 20 ms frame."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[np.ndarray, int]] = asyncio.Queue()

    def put(self, pcm: np.ndarray, rate: int) -> None:
        """The ``on_audio`` of :func:`install_inline_receive` (called in the loop thread)."""
        self._queue.put_nowait((pcm, rate))

    async def take(self) -> tuple[np.ndarray, int]:
        """The next frame and every one queued behind it, as one array (one decoder: always
        the same rate)."""
        queue = self._queue
        pcm, rate = await queue.get()
        if queue.qsize():
            chunks = [pcm]
            while queue.qsize():
                chunks.append(queue.get_nowait()[0])
            pcm = np.concatenate(chunks)
        return pcm, rate
