"""Other voices, levels and ways of interrupting, for the barge-in tests and bench (issue 38).

``tests/speech.py`` speaks the recogniser's phrases in the product's own espeak voice. People
interrupt in other voices, at other levels and in another shape: a word, a breath, then the
rest ("Wait. — No, stop"). Here: espeak-ng's program with its variants (``en+f3`` a female
voice, ``en-gb+m3`` a faster male one), the **active speech level** used to set a voice against
the echo (the mean power of the 20 ms frames within 30 dB of the loudest, so pauses between
words do not lower it), the assistant's own level (the server's espeak voice), and steady pink
noise (a fan, an air conditioner).
"""

from __future__ import annotations

import io
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicechat.audio.files import write_wav as write_mono_wav
from voicechat.rtc.dsp import resample

RATE = 48000
BREATH_MS = 200
#: (espeak-ng voice, words a minute): the default male voice, a female one, a fast one
VOICES = [("en-us", 175), ("en+f3", 160), ("en-gb+m3", 210)]


@lru_cache(maxsize=64)
def _espeak(text: str, voice: str, wpm: int) -> bytes:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "--stdout", text],
                         capture_output=True, check=True, timeout=60).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    pcm = resample(pcm, rate, RATE)
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
    return (pcm[loud[0] : loud[-1] + 1] if loud.size else pcm).tobytes()


def espeak(text: str, voice: str = "en-us", wpm: int = 175) -> npt.NDArray[np.int16]:
    """``text`` from the espeak-ng program at 48 kHz, leading and trailing silence trimmed."""
    return np.frombuffer(_espeak(text, voice, wpm), dtype=np.int16).copy()


def word_then_breath(voice: str = "en-us", wpm: int = 175) -> npt.NDArray[np.int16]:
    """"Wait." then a 200 ms breath then "No, stop, stop that please."."""
    gap = np.zeros(RATE * BREATH_MS // 1000, dtype=np.int16)
    return np.concatenate([espeak("Wait.", voice, wpm), gap,
                           espeak("No, stop, stop that please.", voice, wpm)])


def active_dbfs(pcm: npt.NDArray[np.int16], rate: int = RATE) -> float:
    """The active speech level: mean power of the 20 ms frames within 30 dB of the loudest."""
    n = rate // 50
    frames = pcm[: pcm.size // n * n].astype(np.float64).reshape(-1, n)
    power = np.maximum((frames**2).mean(axis=1), 1e-9)
    db = 10 * np.log10(power / 32768.0**2)
    return float(10 * np.log10(np.mean(power[db >= db.max() - 30]) / 32768.0**2))


def at_level(pcm: npt.NDArray[np.int16], target_dbfs: float) -> npt.NDArray[np.int16]:
    """``pcm`` scaled so that its active speech level is ``target_dbfs``."""
    gain = 10 ** ((target_dbfs - active_dbfs(pcm)) / 20)
    return np.clip(pcm.astype(np.float64) * gain, -32768, 32767).astype(np.int16)


@lru_cache(maxsize=1)
def assistant_dbfs() -> float:
    """The active level of the server's voice (``voicechat serve --voice espeak``)."""
    from tests.audio.echo_run import LONG_REPLIES
    from voicechat.server.voice.tts import make_voice

    voice = make_voice("espeak")
    pcm = np.asarray(voice.synthesize(LONG_REPLIES[0]), dtype=np.int16)
    return active_dbfs(pcm, voice.sample_rate)


def pink_noise(seconds: float, level_dbfs: float, seed: int = 38) -> npt.NDArray[np.int16]:
    """Steady pink noise (power falling 3 dB an octave) at ``level_dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(RATE * seconds))
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    pink = np.fft.irfft(spectrum, n=white.size)
    pink *= 10 ** (level_dbfs / 20) * 32768 / np.sqrt(np.mean(pink**2))
    return np.clip(pink, -32768, 32767).astype(np.int16)


def write_wav(path: Path, pcm: npt.NDArray[np.int16], rate: int = RATE) -> Path:
    """The product's own WAV writer (16-bit mono), returning the path for chaining."""
    write_mono_wav(path, pcm, rate)
    return path
