"""A linear-only echo canceller, as a second ear for the local barge-in detector (issue 38).

Why: WebRTC's AEC3 (``engine.py``) ends in a nonlinear suppressor that, during double talk with
a voice quieter than the echo, removes the person's first word whole (48-65 dB of "Wait." on
the quiet -6 dB cell of ``bench/bench_bargein_grid.py``), so a detector that hears only AEC3's
output hears nothing until the second word. An adaptive linear filter alone does not suppress:
it subtracts its estimate of the echo and leaves everything else, so a voice under the echo
stands in its residual at the voice's own level, well over what is left of the echo alone.
This residual feeds the detector only; the audio sent to the server stays AEC3's.

The filter is Speex's MDF (multidelay block frequency domain) canceller from ``libspeexdsp``
(Xiph; ``libspeexdsp1`` on Debian, which PulseAudio depends on), bound here with ctypes: no
PyPI wrapper of it installs offline without compiling, save one single-release package under
a proprietary licence. Five C functions whose API has not changed since 2008. The library is
loaded lazily; every way that fails is :class:`LinearUnavailable`, and the caller runs
without the second ear (the detector then works on AEC3's output alone, as before).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from typing import Any

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]

#: ``speex_echo_ctl`` request (speex/speex_echo.h)
SPEEX_ECHO_SET_SAMPLING_RATE = 24
#: tried in order; the soname first (Debian's libspeexdsp1 ships no unversioned link)
LIBRARY_NAMES = ("libspeexdsp.so.1", "libspeexdsp.dylib", "speexdsp")
FIX = "install libspeexdsp (Debian/Ubuntu: apt-get install libspeexdsp1)"

_lib: Any = None


class LinearUnavailable(Exception):
    """libspeexdsp cannot be loaded here; the message says why and how to fix it."""


def load_speexdsp() -> Any:
    """The ``libspeexdsp`` library with its echo functions typed, or :class:`LinearUnavailable`."""
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    names = list(LIBRARY_NAMES)
    found = ctypes.util.find_library("speexdsp")
    if found:
        names.insert(1, found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError as exc:
            errors.append(str(exc))
    else:
        raise LinearUnavailable(f"libspeexdsp not found ({'; '.join(errors[:2])}): {FIX}")
    try:
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.restype = None
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] + [
            ctypes.POINTER(ctypes.c_int16)] * 3
        lib.speex_echo_ctl.restype = ctypes.c_int
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_reset.restype = None
        lib.speex_echo_state_reset.argtypes = [ctypes.c_void_p]
        lib.speex_echo_state_destroy.restype = None
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    except AttributeError as exc:  # a library of that name without the echo canceller
        raise LinearUnavailable(f"libspeexdsp has no echo canceller ({exc}): {FIX}") from exc
    _lib = lib
    return lib


def _ptr(a: Int16Array) -> Any:
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))


class LinearEcho:
    """One Speex MDF canceller: 10 ms int16 mono frames of mic and reference in, residual out.

    ``filter_ms`` must span the reference-to-echo delay plus the room's tail. Not thread-safe:
    the stage calls it from its mic side, under its lock.
    """

    def __init__(self, rate: int = 16000, *, filter_ms: int = 250) -> None:
        self._lib = load_speexdsp()
        self.rate = rate
        self.frame_samples = rate // 100
        self.filter_ms = filter_ms
        state = self._lib.speex_echo_state_init(self.frame_samples, rate * filter_ms // 1000)
        if not state:
            raise LinearUnavailable("speex_echo_state_init failed")
        self._st: int | None = state
        value = ctypes.c_int(rate)
        self._lib.speex_echo_ctl(state, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(value))
        self._out = np.zeros(self.frame_samples, dtype=np.int16)

    def process(self, mic: Int16Array, far: Int16Array) -> Int16Array:
        """10 ms of the mic and of the reference played at the same moment (or earlier, within
        the filter) -> the mic less the filter's estimate of the echo."""
        if self._st is None:
            raise ValueError("the canceller is closed")
        n = self.frame_samples
        if mic.size != n or far.size != n:
            raise ValueError(f"frames are 10 ms ({n} samples), got {mic.size} and {far.size}")
        rec = np.ascontiguousarray(mic, dtype=np.int16)
        play = np.ascontiguousarray(far, dtype=np.int16)
        self._lib.speex_echo_cancellation(self._st, _ptr(rec), _ptr(play), _ptr(self._out))
        return self._out.copy()

    def reset(self) -> None:
        if self._st is not None:
            self._lib.speex_echo_state_reset(self._st)

    def close(self) -> None:
        if self._st is not None:
            self._lib.speex_echo_state_destroy(self._st)
            self._st = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: the library may be gone
            self.close()
