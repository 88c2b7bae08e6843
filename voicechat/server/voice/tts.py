"""Speech synthesis for the local server: real speech from espeak-ng, or a deterministic tone.

The Realtime API sends assistant audio as 24 kHz mono PCM16, so every voice here returns exactly
that. ``espeak`` drives the libespeak-ng shipped inside the ``espeakng-loader`` wheel through
ctypes (no apt package, no download, a few milliseconds per sentence) and falls back to the
``espeak-ng`` command line when the library cannot be loaded. ``tone`` exists for tests: its
output depends only on the text, bit for bit, so assertions about audio length and content never
flake on a different espeak build.
"""

from __future__ import annotations

import ctypes
import logging
import re
import shutil
import subprocess
import threading
import zlib
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from voicechat.rtc.dsp import resample

log = logging.getLogger(__name__)

OUTPUT_RATE = 24000
ESPEAK_VOICE = "en-us"
ESPEAK_WPM = 160

Int16Array = npt.NDArray[np.int16]


class Voice(Protocol):
    """Anything that turns text into 24 kHz mono int16 speech."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> Int16Array: ...


class VoiceUnavailableError(RuntimeError):
    """No speech synthesiser could be loaded; the message says what to install."""


# --- espeak-ng through the espeakng-loader wheel ------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1  # espeak_PARAMETER index of the speaking rate (words per minute)

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _EspeakLibrary:
    """The process-wide libespeak-ng instance.

    The library keeps global state (one voice, one callback), so it is initialised once per
    process and every synthesis holds ``_lock``; sentences take milliseconds, so the lock is
    never contended for long.
    """

    def __init__(self) -> None:
        import espeakng_loader  # type: ignore[import-untyped]

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        data_path = str(espeakng_loader.get_data_path()).encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if rate <= 0:
            raise OSError(f"espeak_Initialize failed (returned {rate})")
        self.rate = int(rate)
        self._chunks: list[Int16Array] = []
        self._callback = _SynthCallback(self._on_audio)  # keep a reference: C holds a pointer
        lib.espeak_SetSynthCallback(self._callback)
        if lib.espeak_SetVoiceByName(ESPEAK_VOICE.encode()) != 0:
            raise OSError(f"espeak-ng has no voice {ESPEAK_VOICE!r}")
        lib.espeak_SetParameter(_ESPEAK_RATE, ESPEAK_WPM, 0)
        self._lib = lib
        self._lock = threading.Lock()

    def _on_audio(self, wav: Any, n: int, _events: Any) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.int16))
        return 0

    def synthesize(self, text: str) -> tuple[Int16Array, int]:
        data = text.encode("utf-8") + b"\0"
        with self._lock:
            self._chunks = []
            self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return pcm, self.rate


_library: _EspeakLibrary | None = None
_library_error: str | None = None
_library_lock = threading.Lock()


def _espeak_library() -> _EspeakLibrary | None:
    """The shared library, loaded on first use; None (with the reason kept) if it cannot load."""
    global _library, _library_error
    with _library_lock:
        if _library is None and _library_error is None:
            try:
                _library = _EspeakLibrary()
            except (ImportError, OSError, AttributeError) as exc:
                _library_error = f"{type(exc).__name__}: {exc}"
        return _library


def _espeak_cli(text: str) -> tuple[Int16Array, int]:
    """Synthesise with the ``espeak-ng`` program (Debian package) as a WAV on stdout."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise VoiceUnavailableError(
            "no speech synthesiser: the espeakng-loader library did not load "
            f"({_library_error}) and no espeak-ng program is on PATH. "
            "Fix: pip install espeakng-loader, or apt-get install espeak-ng, "
            "or run with --voice tone."
        )
    out = subprocess.run(
        [exe, "-v", ESPEAK_VOICE, "-s", str(ESPEAK_WPM), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    )
    return parse_streamed_wav(out.stdout)


def parse_streamed_wav(raw: bytes) -> tuple[Int16Array, int]:
    """PCM16 and rate from a WAV whose size fields may be placeholders (written to a pipe)."""
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise VoiceUnavailableError("espeak-ng did not produce a WAV on stdout")
    pos, rate = 12, 0
    while pos + 8 <= len(raw):
        chunk, size = raw[pos : pos + 4], int.from_bytes(raw[pos + 4 : pos + 8], "little")
        if chunk == b"fmt ":
            rate = int.from_bytes(raw[pos + 12 : pos + 16], "little")
        elif chunk == b"data":
            body = raw[pos + 8 :]  # the size may be a placeholder: take everything that follows
            body = body[: len(body) // 2 * 2]
            return np.frombuffer(body, dtype="<i2").astype(np.int16), rate
        pos += 8 + size + (size & 1)
    raise VoiceUnavailableError("espeak-ng WAV output has no data chunk")


class EspeakVoice:
    """Real (robotic but intelligible) speech from espeak-ng, resampled to 24 kHz."""

    name = "espeak"
    sample_rate = OUTPUT_RATE

    def __init__(self) -> None:
        library = _espeak_library()
        if library is None:
            log.warning(
                "espeakng-loader library unavailable (%s); using the espeak-ng program",
                _library_error,
            )
            if not (shutil.which("espeak-ng") or shutil.which("espeak")):
                _espeak_cli("")  # raises VoiceUnavailableError with the fix
        self._library = library

    def synthesize(self, text: str) -> Int16Array:
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        if self._library is not None:
            pcm, rate = self._library.synthesize(text)
        else:
            pcm, rate = _espeak_cli(text)
        return resample(pcm, rate, OUTPUT_RATE)


# --- the deterministic test voice -------------------------------------------------------------

_WORD = re.compile(r"[\w']+")


class ToneVoice:
    """One short beep per word; same text, same samples, on every machine.

    A word of n characters gives a beep of 60 + 15·n ms at a pitch chosen by a CRC of the word
    (between 300 and 1200 Hz), with 10 ms fades and 70 ms of silence after it, so audio length
    grows with the text and different words sound different. Everything is integer arithmetic
    over a fixed table, so the bytes are identical across runs and platforms.
    """

    name = "tone"
    sample_rate = OUTPUT_RATE
    GAP_MS = 70
    FADE_MS = 10
    AMPLITUDE = 8000

    def synthesize(self, text: str) -> Int16Array:
        parts: list[Int16Array] = []
        gap = np.zeros(OUTPUT_RATE * self.GAP_MS // 1000, dtype=np.int16)
        for word in _WORD.findall(text.lower()):
            parts.append(self._beep(word))
            parts.append(gap)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def _beep(self, word: str) -> Int16Array:
        n = OUTPUT_RATE * (60 + 15 * len(word)) // 1000
        freq = 300 + zlib.crc32(word.encode("utf-8")) % 901
        # Phase as an exact integer index into a 4096-entry sine table: no float drift.
        table = _sine_table()
        idx = (np.arange(n, dtype=np.int64) * freq * 4096 // OUTPUT_RATE) % 4096
        wave = table[idx].astype(np.int64) * self.AMPLITUDE // 32767
        fade = OUTPUT_RATE * self.FADE_MS // 1000
        env = np.ones(n, dtype=np.int64) * fade
        ramp = np.arange(fade, dtype=np.int64)
        env[:fade] = ramp
        env[n - fade :] = ramp[::-1]
        return (wave * env // fade).astype(np.int16)


_SINE: Int16Array | None = None


def _sine_table() -> Int16Array:
    global _SINE
    if _SINE is None:
        # Rounded once from float64; np.sin is correctly rounded to well below 0.5 LSB here.
        _SINE = np.rint(np.sin(2 * np.pi * np.arange(4096) / 4096) * 32767).astype(np.int16)
    return _SINE


def make_voice(name: Literal["espeak", "tone"]) -> Voice:
    """The voice called ``name``: "espeak" (real speech) or "tone" (deterministic beeps)."""
    if name == "espeak":
        return EspeakVoice()
    if name == "tone":
        return ToneVoice()
    raise ValueError(f"unknown voice {name!r}: choose 'espeak' or 'tone'")
