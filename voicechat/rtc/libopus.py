"""libopus called directly (ctypes): the server's 16 kHz decoder, and the tracks' encoder.

FFmpeg's libopus wrapper, which PyAV exposes, always decodes at 48 kHz, so the server's input
path paid a 48 kHz decode and then a 48 -> 16 kHz resampling filter for every speech frame; the
filter cost more than the decode (``bench/HISTORY.md``, local server). libopus itself decodes at
8, 12, 16, 24 or 48 kHz: it runs its own synthesis at the rate asked for (SILK) or folds the
band-limited output down inside the decoder (CELT), at a fraction of that cost.

The encoder goes direct for a smaller reason: PyAV's route to the same libopus costs an
``AudioFrame`` built from the array, FFmpeg's frame queue and a ``Packet`` per 20 ms (~150 us a
frame on this machine, more than a third of the encode itself at complexity 5), and FFmpeg's
wrapper exposes the encoder's complexity only as a whole-context option.

The library is the one PyAV already loaded (its wheels bundle libopus next to the package:
``av.libs`` on Linux, ``.dylibs`` on macOS), else the system's. :func:`load` returns ``None``
when neither is found; callers keep the PyAV path then.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: the output rates libopus decodes at
RATES = (8000, 12000, 16000, 24000, 48000)
#: the longest Opus packet: 120 ms
_MAX_MS = 120
_OK = 0
#: ``OPUS_APPLICATION_VOIP``, and the ``opus_encoder_ctl`` requests :class:`MonoEncoder` makes
_APPLICATION_VOIP = 2048
_SET_BITRATE = 4002
_SET_COMPLEXITY = 4010
#: the longest packet libopus writes for one frame is 1275 bytes; room for any
_MAX_PACKET = 4000


def _candidates() -> list[str]:
    paths: list[str] = []
    try:
        import av

        package = Path(av.__file__).resolve().parent
        for pattern in ("av.libs/libopus*", "av.libs/opus*.dll"):
            paths += [str(p) for p in sorted(package.parent.glob(pattern))]
        paths += [str(p) for p in sorted(package.glob(".dylibs/libopus*"))]
    except (ImportError, OSError):
        pass
    system = ctypes.util.find_library("opus")
    if system:
        paths.append(system)
    return paths


@functools.cache
def load() -> ctypes.CDLL | None:
    """libopus with the signatures we call set, or ``None`` when none can be loaded."""
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            lib.opus_decoder_create.argtypes = [
                ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)
            ]
            lib.opus_decoder_create.restype = ctypes.c_void_p
            lib.opus_decode.argtypes = [
                ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int,
                ctypes.c_int,
            ]
            lib.opus_decode.restype = ctypes.c_int
            lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
            lib.opus_decoder_destroy.restype = None
            lib.opus_encoder_create.argtypes = [
                ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)
            ]
            lib.opus_encoder_create.restype = ctypes.c_void_p
            lib.opus_encode.argtypes = [
                ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int32
            ]
            lib.opus_encode.restype = ctypes.c_int32
            lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
            lib.opus_encoder_destroy.restype = None
            # variadic in C: called with one int32 value only (see can_set_encoder_options)
            lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int32]
            lib.opus_encoder_ctl.restype = ctypes.c_int
        except (OSError, AttributeError):
            continue
        return lib
    return None


class OpusDecodeError(Exception):
    """libopus refused a packet (its error code is the argument)."""


class MonoDecoder:
    """One Opus stream decoded to int16 mono at ``rate`` (one of :data:`RATES`)."""

    def __init__(self, lib: ctypes.CDLL, rate: int) -> None:
        self._state: int | None = None
        if rate not in RATES:
            raise ValueError(f"libopus decodes at {RATES}, not {rate}")
        error = ctypes.c_int(_OK)
        state = lib.opus_decoder_create(rate, 1, ctypes.byref(error))
        if error.value != _OK or not state:
            raise OpusDecodeError(error.value)
        self._lib = lib
        self._state = state
        self.rate = rate
        self._pcm = np.zeros(rate * _MAX_MS // 1000, np.int16)
        self._out = self._pcm.ctypes.data
        self._capacity = self._pcm.size

    def decode(self, payload: bytes | None, frame_size: int = 0) -> npt.NDArray[np.int16]:
        """A packet's samples (a new array); ``None`` conceals ``frame_size`` lost samples."""
        if self._state is None:
            raise OpusDecodeError("decoder closed")
        if payload is None:
            n = self._lib.opus_decode(self._state, None, 0, self._out, frame_size, 0)
        else:
            n = self._lib.opus_decode(self._state, payload, len(payload), self._out,
                                      self._capacity, 0)
        if n < 0:
            raise OpusDecodeError(n)
        return self._pcm[:n].copy()

    def close(self) -> None:
        if self._state is not None:
            self._lib.opus_decoder_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


def can_set_encoder_options() -> bool:
    """True where ``opus_encoder_ctl`` (variadic) can be called through fixed ctypes prototypes.

    On x86-64 (System V and Windows) and on Linux's arm64 a variadic ``int`` travels in the same
    register as a fixed one; Apple's arm64 ABI puts variadic arguments on the stack, so there
    the encoder stays on PyAV.
    """
    return not (sys.platform == "darwin" and platform.machine().lower() in ("arm64", "aarch64"))


class OpusEncodeError(Exception):
    """libopus refused to create the encoder or to encode a frame (its error code)."""


class MonoEncoder:
    """Voice (``OPUS_APPLICATION_VOIP``) in int16 mono at ``rate``, one packet per frame out.

    ``complexity`` (0-10) trades libopus's analysis effort for CPU: on espeak speech at
    48 kbit/s the decoded waveform's SNR went from 10.1 dB at 0 to 10.5 dB at 10 while the
    encode time grew 2-3x (measured when this encoder was added).
    """

    def __init__(self, lib: ctypes.CDLL, rate: int, *, bit_rate: int, complexity: int) -> None:
        self._state: int | None = None
        if rate not in RATES:
            raise ValueError(f"libopus encodes at {RATES}, not {rate}")
        if not 0 <= complexity <= 10:
            raise ValueError(f"Opus complexity is 0 to 10, not {complexity}")
        error = ctypes.c_int(_OK)
        state = lib.opus_encoder_create(rate, 1, _APPLICATION_VOIP, ctypes.byref(error))
        if error.value != _OK or not state:
            raise OpusEncodeError(error.value)
        self._lib = lib
        self._state = state
        for request, value in ((_SET_BITRATE, bit_rate), (_SET_COMPLEXITY, complexity)):
            result = lib.opus_encoder_ctl(state, request, value)
            if result != _OK:
                self.close()
                raise OpusEncodeError(result)
        self.rate = rate
        self._packet = ctypes.create_string_buffer(_MAX_PACKET)
        self._out = ctypes.addressof(self._packet)

    def encode(self, pcm: npt.NDArray[np.int16]) -> bytes:
        """One frame (2.5 to 60 ms of contiguous int16 samples at ``rate``) as one packet."""
        if self._state is None:
            raise OpusEncodeError("encoder closed")
        if pcm.dtype != np.int16 or not pcm.flags.c_contiguous:
            pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        n = self._lib.opus_encode(self._state, pcm.ctypes.data, pcm.size, self._out, _MAX_PACKET)
        if n < 0:
            raise OpusEncodeError(n)
        return ctypes.string_at(self._out, n)

    def close(self) -> None:
        if self._state is not None:
            self._lib.opus_encoder_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()
