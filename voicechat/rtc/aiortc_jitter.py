"""Our :mod:`voicechat.rtc.jitter` buffer inside aiortc's audio receiver, in place of its own.

aiortc has no public hook for the receive jitter buffer, so this depends on the internals of
``aiortc.rtcrtpreceiver.RTCRtpReceiver`` as of **aiortc==1.16.0** (pinned exactly for this
reason; :func:`check_receiver` refuses anything else, and ``tests/rtc/test_aiortc_jitter.py``
fails loudly if the shape changes). The private, name-mangled attributes touched:

* ``_RTCRtpReceiver__jitter_buffer``: replaced by :class:`AdaptiveAudioReceive`. aiortc calls its
  ``add(packet)`` for every audio RTP packet (after SRTP, RTX unwrapping and depayloading) and
  decodes whatever frame it returns; ours always returns ``(False, None)`` and instead releases
  frames on its own playout timer;
* ``_RTCRtpReceiver__decoder_queue`` (a ``queue.Queue``): where frames go to aiortc's decoder
  thread, as ``(codec, JitterFrame)`` tuples (``decoder_worker``'s task shape);
* ``_RTCRtpReceiver__codecs``: payload type → ``RTCRtpCodecParameters`` (the decoder wants it);
* ``_RTCRtpReceiver__decoder_thread``: ``None`` once the receiver stopped, when we stop too.

Public aiortc API used: ``RTCPeerConnection.getReceivers()``, ``RtpPacket.sequence_number /
timestamp / payload / payload_type``, ``aiortc.jitterbuffer.JitterFrame(data, timestamp)``.

Concealment is Opus's own PLC: a one-byte Opus packet (the TOC byte of the last real packet,
code 0, no frame data) makes libopus conceal one frame (RFC 6716 §3.2.1: a zero-length frame
means a lost one; libopus' ``opus_decode_frame`` treats ``len <= 1`` as loss), so the decoder
keeps its state and fades out naturally. Concealment frames carry no timestamp (``pts`` None).
Codecs other than Opus get no concealment frame (the slot stays silent downstream).
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable
from typing import Any, TypeVar

from aiortc.jitterbuffer import JitterBuffer as AiortcJitterBuffer
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcpeerconnection import RTCPeerConnection
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from voicechat.rtc.jitter import Conceal, Decision, JitterBuffer, JitterConfig

AIORTC_VERSION = "1.16.0"
_JITTER = "_RTCRtpReceiver__jitter_buffer"
_QUEUE = "_RTCRtpReceiver__decoder_queue"
_CODECS = "_RTCRtpReceiver__codecs"
_THREAD = "_RTCRtpReceiver__decoder_thread"

logger = logging.getLogger(__name__)


class AiortcInternalsChanged(RuntimeError):
    """aiortc's receiver no longer looks like 1.16.0's: the adaptive buffer cannot be installed."""


def check_receiver(receiver: RTCRtpReceiver) -> None:
    """Raise :class:`AiortcInternalsChanged` unless ``receiver`` has the attributes we replace."""
    import aiortc

    problems = []
    if aiortc.__version__ != AIORTC_VERSION:
        problems.append(f"aiortc {aiortc.__version__} (written against {AIORTC_VERSION})")
    stock = getattr(receiver, _JITTER, None)
    if not isinstance(stock, (AiortcJitterBuffer, AdaptiveAudioReceive)):
        problems.append(f"{_JITTER} is {type(stock).__name__}, not aiortc's JitterBuffer")
    if not isinstance(getattr(receiver, _QUEUE, None), queue.Queue):
        problems.append(f"{_QUEUE} is missing or not a queue.Queue")
    if not isinstance(getattr(receiver, _CODECS, None), dict):
        problems.append(f"{_CODECS} is missing or not a dict")
    if not hasattr(receiver, _THREAD):
        problems.append(f"{_THREAD} is missing")
    if problems:
        raise AiortcInternalsChanged("; ".join(problems))


def plc_packet(last_payload: bytes) -> bytes:
    """A one-byte Opus packet that makes the decoder conceal one frame of the same mode/size."""
    return bytes([last_payload[0] & 0xFC]) if last_payload else b"\xfc"


class AdaptiveAudioReceive:
    """Stands in for aiortc's audio jitter buffer and drives its decoder on a playout timer."""

    def __init__(
        self,
        receiver: RTCRtpReceiver,
        config: JitterConfig | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        on_decision: Callable[[Decision, float], None] | None = None,
    ) -> None:
        check_receiver(receiver)
        self.receiver = receiver
        self.buffer = JitterBuffer(config)
        self._loop = loop or asyncio.get_running_loop()
        self._queue: queue.Queue[Any] = getattr(receiver, _QUEUE)
        self._codecs: dict[int, Any] = getattr(receiver, _CODECS)
        self._codec: Any = None
        self._last_payload = b""
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._closed = False
        self.on_decision = on_decision  # tests and the bench watch what was decided, and when

    # aiortc's interface (RTCRtpReceiver._handle_rtp_packet calls this) ---------------------------

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        if not self._closed:
            codec = self._codecs.get(packet.payload_type)
            if codec is not None:
                self._codec = codec
            now = self._loop.time()
            self.buffer.push(packet.sequence_number, packet.timestamp, packet.payload, now)
            self._run(now)
        return False, None

    # the playout timer -----------------------------------------------------------------------

    def _run(self, now: float) -> None:
        if getattr(self.receiver, _THREAD, None) is None:
            self.close()  # the receiver stopped: its decoder thread is gone
            return
        for decision in self.buffer.pop(now):
            self._decode(decision)
            if self.on_decision is not None:
                self.on_decision(decision, now)
        self._schedule()

    def _schedule(self) -> None:
        due = self.buffer.next_due()
        if due is None or self._closed:
            return
        if self._timer is not None and self._timer_at is not None and self._timer_at <= due:
            return  # an earlier (or the same) wake-up is already set
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = due
        self._timer = self._loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if not self._closed:
            self._run(self._loop.time())

    def _decode(self, decision: Decision) -> None:
        if self._codec is None:
            return
        if isinstance(decision, Conceal):
            if self._codec.name.lower() != "opus":
                return
            frame = JitterFrame(data=plc_packet(self._last_payload), timestamp=None)  # type: ignore[arg-type]
        else:
            self._last_payload = decision.payload
            frame = JitterFrame(data=decision.payload, timestamp=decision.timestamp)
        self._queue.put((self._codec, frame))

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


ReplacementT = TypeVar("ReplacementT")


def install_on_receiver(
    pc: RTCPeerConnection, track: MediaStreamTrack, build: Callable[[RTCRtpReceiver], ReplacementT],
    what: str,
) -> ReplacementT | None:
    """Put ``build(receiver)`` in place of aiortc's jitter buffer in the receiver of ``track``.

    The one place that swaps the receiver's buffer, for the client's adaptive buffer and the
    server's inline decoder alike. ``None`` for a track that is not audio or not one of ``pc``'s
    receivers, and when aiortc's internals changed: then aiortc's own buffer stays (a warning
    naming ``what`` is logged; the tests fail loudly).
    """
    if track.kind != "audio":
        return None
    for receiver in pc.getReceivers():
        if receiver.track is track:
            try:
                replacement = build(receiver)
            except AiortcInternalsChanged as exc:
                logger.warning("%s not installed, aiortc's jitter buffer kept: %s", what, exc)
                return None
            setattr(receiver, _JITTER, replacement)
            return replacement
    return None


def install_jitter_buffer(
    pc: RTCPeerConnection, track: MediaStreamTrack, config: JitterConfig | None = None
) -> AdaptiveAudioReceive | None:
    """Put an :class:`AdaptiveAudioReceive` into the receiver of remote audio ``track``.

    Call it from the peer connection's ``track`` event (before media flows); ``None`` as
    :func:`install_on_receiver` says.
    """
    return install_on_receiver(pc, track, lambda receiver: AdaptiveAudioReceive(receiver, config),
                               "adaptive jitter buffer")
