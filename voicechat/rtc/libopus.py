"""libopus's decoder called directly (ctypes), so the server can decode at 16 kHz.

FFmpeg's libopus wrapper, which PyAV exposes, always decodes at 48 kHz, so the server's input
path paid a 48 kHz decode and then a 48 -> 16 kHz resampling filter for every speech frame; the
filter cost more than the decode (``bench/README.md``, server row). libopus itself decodes at
8, 12, 16, 24 or 48 kHz: it runs its own synthesis at the rate asked for (SILK) or folds the
band-limited output down inside the decoder (CELT), at a fraction of that cost.

The library is the one PyAV already loaded (its wheels bundle libopus next to the package:
``av.libs`` on Linux, ``.dylibs`` on macOS), else the system's. :func:`load` returns ``None``
when neither is found; callers keep the PyAV path then.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: the output rates libopus decodes at
RATES = (8000, 12000, 16000, 24000, 48000)
#: the longest Opus packet: 120 ms
_MAX_MS = 120
_OK = 0


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
    """libopus with the decoder's signatures set, or ``None`` when none can be loaded."""
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
