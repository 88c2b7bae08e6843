"""The Opus encoder our paced tracks use, so aiortc sends ready packets instead of raw frames.

Handed an ``av.AudioFrame``, aiortc's sender pays per 20 ms frame, on every call: an RFC 6465
audio level computed in pure Python over every sample (about half a millisecond), a hop to a
thread-pool worker and back for the encode, and a resampler pass that upmixes mono to stereo.
Handed an ``av.Packet`` it only packetizes (``Encoder.pack``). :class:`OpusFrameEncoder` encodes
in the track instead, synchronously: mono at voice settings (the SDP says ``opus/48000/2``, and
every Opus decoder plays a mono stream on both channels at full level), a fraction of the cost
of aiortc's path, and no thread handoff between a mic frame and its RTP packet. The RTP audio
level header extension is not sent; nothing on either side of our calls reads it.

Digital silence is most of what a paced track sends (the server between answers, a muted mic),
and libopus spends as much on a frame of zeros as on speech. Once the encoder has seen
:data:`SETTLE_FRAMES` silent frames in a row its output has settled, so later silent frames
repeat that packet instead of being encoded: the decoder hears the same silence, and when sound
resumes the encoder's state is the one the decoder last followed.
"""

from __future__ import annotations

import contextlib
import fractions

import numpy as np
import numpy.typing as npt
from av import AudioFrame, CodecContext, Packet

SAMPLE_RATE = 48000
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
#: voice at 48 kHz mono: plenty for ASR and for the ear; complexity 5 halves libopus's default cost
BIT_RATE = 48000
COMPLEXITY = 5
#: the local server's espeak voice: encoded at complexity 1, ~0.24 ms a frame instead of
#: ~0.40 ms (cold caches, as the server runs it); the decoded waveform's SNR 10.2 dB against
#: 10.4 dB at 5 (``bench/HISTORY.md``, local server)
SERVER_COMPLEXITY = 1
#: silent frames encoded for real before the last one is repeated (the encoder's output settles)
SETTLE_FRAMES = 5


class OpusFrameEncoder:
    """int16 mono 48 kHz frames of 20 ms in, one Opus packet each out, timestamped by the caller.

    libopus is called directly (:class:`voicechat.rtc.libopus.MonoEncoder`) where it can be
    loaded and its options set, else through PyAV; both give a voice-mode mono stream at
    :data:`BIT_RATE`. ``complexity`` is libopus's 0-10 effort knob: the client's mic keeps
    :data:`COMPLEXITY`; the local server's synthetic voice uses :data:`SERVER_COMPLEXITY`.
    """

    def __init__(self, complexity: int = COMPLEXITY, *, direct: bool = True) -> None:
        from voicechat.rtc import libopus

        self.complexity = complexity
        lib = libopus.load() if direct and libopus.can_set_encoder_options() else None
        self._direct: libopus.MonoEncoder | None = None
        # a libopus that refuses these settings leaves PyAV's, configured below
        with contextlib.suppress(libopus.OpusEncodeError):
            if lib is not None:
                self._direct = libopus.MonoEncoder(lib, SAMPLE_RATE, bit_rate=BIT_RATE,
                                                   complexity=complexity)
        if self._direct is None:
            codec = CodecContext.create("libopus", "w")
            codec.bit_rate = BIT_RATE
            codec.format = "s16"
            codec.layout = "mono"
            codec.sample_rate = SAMPLE_RATE
            codec.time_base = TIME_BASE
            codec.options = {"application": "voip", "compression_level": str(complexity)}
            self._codec = codec
        self._silent_frames = 0  # all-zero frames in a row
        self._silence = b""  # the settled encoding of a silent frame, once there is one
        self.encoded = 0  # frames really encoded (the rest repeated the silence)

    @property
    def direct(self) -> bool:
        """True when libopus is called directly (not through PyAV)."""
        return self._direct is not None

    def encode(self, mono: npt.NDArray[np.int16], pts: int) -> Packet:
        """The packet for ``mono`` (one 20 ms frame) with RTP time ``pts`` (samples at 48 kHz)."""
        if mono.any():
            self._silent_frames = 0
            data = self._encode(mono, pts)
        elif self._silent_frames >= SETTLE_FRAMES and self._silence:
            data = self._silence
        else:
            self._silent_frames += 1
            data = self._silence = self._encode(mono, pts)
        packet = Packet(data)
        packet.pts = pts
        packet.time_base = TIME_BASE
        return packet

    def _encode(self, mono: npt.NDArray[np.int16], pts: int) -> bytes:
        self.encoded += 1
        if self._direct is not None:
            return self._direct.encode(mono)
        frame = AudioFrame.from_ndarray(mono.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = TIME_BASE
        packets = self._codec.encode(frame)
        # libopus answers every 20 ms frame with one packet (its look-ahead is hidden in the
        # pre-skip the decoder drops); join defensively should a build ever split or hold one
        return b"".join(bytes(p) for p in packets)


#: a decoded frame whose every sample is within this of zero is digital silence (Opus decodes a
#: silent sender to +-1); it is passed on as exact zeros
SILENT_PEAK = 2
#: silent frames in a row after which the resampler's history holds only zeros, so more of the
#: same silent packet can skip the decoder and the resampler: their output is known (zeros)
_QUIET_RUN = 2


class OpusInputDecoder:
    """One incoming Opus stream decoded to int16 mono at ``rate`` (the server's VAD/ASR rate).

    At a rate libopus decodes at (8, 12, 16, 24, 48 kHz) libopus is called directly
    (:mod:`voicechat.rtc.libopus`) and decodes mono straight at ``rate``: no 48 kHz frame, no
    resampling filter. Otherwise, or without a loadable libopus, PyAV decodes at 48 kHz (its
    FFmpeg wrapper fixes the rate), mono, and the frame is resampled. A sender's settled
    silence repeats one packet byte for byte (ours do, see :class:`OpusFrameEncoder`); once it
    decoded to silence twice in a row, further copies return the known zeros without decoding
    or resampling: most of an idle session's input.
    """

    def __init__(self, rate: int = 16000, *, direct: bool = True) -> None:
        from voicechat.rtc import libopus
        from voicechat.rtc.dsp import StreamResampler

        lib = libopus.load() if direct and rate in libopus.RATES else None
        self._direct = libopus.MonoDecoder(lib, rate) if lib is not None else None
        self._resampler: StreamResampler | None = None
        if self._direct is None:
            codec = CodecContext.create("libopus", "r")
            codec.format = "s16"
            codec.layout = "mono"
            codec.sample_rate = SAMPLE_RATE
            self._codec = codec
            if rate != SAMPLE_RATE:
                self._resampler = StreamResampler(SAMPLE_RATE, rate)
        self.rate = rate
        self._quiet_packet = b""  # the packet that last decoded to silence
        self._quiet_run = 0  # silent frames in a row
        self._zeros: dict[int, npt.NDArray[np.int16]] = {}
        self._last_size = 0
        self.decoded = 0  # frames really decoded (the rest were known silence)

    @property
    def direct(self) -> bool:
        """True when libopus decodes at ``rate`` itself (no resampling)."""
        return self._direct is not None

    def decode(self, payload: bytes) -> npt.NDArray[np.int16]:
        """One packet's audio (an empty or one-byte packet conceals a lost frame).

        Raises ``av.FFmpegError`` or :class:`voicechat.rtc.libopus.OpusDecodeError` for a
        packet the decoder refuses.
        """
        if payload == self._quiet_packet and self._quiet_run >= _QUIET_RUN:
            return self._silence(self._last_size)
        self.decoded += 1
        pcm = self._direct.decode(payload) if self._direct is not None else self._decode48(payload)
        if pcm.size and pcm.max() <= SILENT_PEAK and pcm.min() >= -SILENT_PEAK:
            self._quiet_run += 1
            self._quiet_packet = payload
            pcm = self._silence(pcm.size) if self._resampler is None else \
                np.zeros(pcm.size, np.int16)
        else:
            self._quiet_run = 0
            self._quiet_packet = b""
        out = self._resampler.process(pcm) if self._resampler is not None else pcm
        self._last_size = out.size
        return out

    def _decode48(self, payload: bytes) -> npt.NDArray[np.int16]:
        frames = self._codec.decode(Packet(payload))
        if len(frames) == 1:
            pcm48: npt.NDArray[np.int16] = frames[0].to_ndarray().reshape(-1)
            return pcm48
        return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]) if frames \
            else np.zeros(0, np.int16)

    def conceal(self) -> npt.NDArray[np.int16]:
        """A lost frame: libopus conceals it (a one-byte packet means loss to libopus)."""
        return self.decode(b"\xfc")

    def _silence(self, size: int) -> npt.NDArray[np.int16]:
        zeros = self._zeros.get(size)
        if zeros is None:
            zeros = self._zeros[size] = np.zeros(size, np.int16)
            zeros.flags.writeable = False
        return zeros
