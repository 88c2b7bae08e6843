"""Other voices, levels and ways of interrupting, for the barge-in tests and bench (issue 38).

``tests/speech.py`` speaks the recogniser's phrases in the product's own espeak voice. People
interrupt in other voices, at other levels and in another shape: a word, a breath, then the
rest ("Wait. — No, stop"). Here: espeak-ng's program with its variants (``en+f3`` a female
voice, ``en-gb+m3`` a faster male one), the **active speech level** used to set a voice against
the echo (the mean power of the 20 ms frames within 30 dB of the loudest, so pauses between
words do not lower it), the assistant's own level (the server's espeak voice), and steady pink
noise (a fan, an air conditioner). Issue 53 adds real recorded voices (``bench/voices/``, built by
``bench/build_voices.py`` from Debian's packages) and the measure of their shape
(:func:`speech_shape`): how long the first word runs before a pause, and the longest pause.
"""

from __future__ import annotations

import io
import json
import subprocess
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicechat.audio.files import read_audio
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


RECORDED = Path(__file__).resolve().parent.parent / "bench" / "voices"
#: a frame is speech within this many dB of the clip's loudest 10 ms frame
SHAPE_FLOOR_DB = 35.0
#: a stretch under the floor this long (or longer) is a pause, not the gap between two sounds
PAUSE_MIN_MS = 150


@dataclass(frozen=True)
class SpeechShape:
    """Where the speech in a clip is, by energy in 10 ms frames."""

    speech_ms: int  # first speech frame to last
    first_ms: int  # speech before the first pause (all of it where there is none)
    longest_pause_ms: int  # the longest stretch under the floor between speech (0: none)
    pauses: int  # stretches of at least ``PAUSE_MIN_MS``


def speech_shape(pcm: npt.NDArray[np.int16], rate: int) -> SpeechShape:
    """Measure a clip: the documented word, pause and rest of ``bench/voices/clips.json``."""
    n = rate // 100
    frames = pcm[: pcm.size // n * n].astype(np.float64).reshape(-1, n)
    db = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-9))
    loud = db >= db.max() - SHAPE_FLOOR_DB
    on = np.flatnonzero(loud)
    first, last = int(on[0]), int(on[-1])
    gaps: list[tuple[int, int]] = []  # (start frame, length) of each run under the floor
    run = 0
    for i in range(first, last + 1):
        if loud[i]:
            if run:
                gaps.append((i - run, run))
            run = 0
        else:
            run += 1
    pauses = [(start, length) for start, length in gaps if length * 10 >= PAUSE_MIN_MS]
    return SpeechShape(
        speech_ms=(last - first + 1) * 10,
        first_ms=((pauses[0][0] if pauses else last + 1) - first) * 10,
        longest_pause_ms=max((length for _, length in gaps), default=0) * 10,
        pauses=len(pauses),
    )


@dataclass(frozen=True)
class RecordedClip:
    """One recorded interruption from ``bench/voices/clips.json``, at 48 kHz."""

    name: str
    speaker: str
    sex: str
    shape: str  # "word+pause", "word" or "sentence"
    pcm: npt.NDArray[np.int16]


def recorded_clips(folder: Path = RECORDED) -> list[RecordedClip]:
    """The committed real-voice clips, read through the product's own audio reader."""
    clips = []
    for entry in json.loads((folder / "clips.json").read_text()):
        pcm, rate = read_audio(folder / entry["file"])
        if rate != RATE:
            pcm = resample(pcm, rate, RATE)
        clips.append(RecordedClip(Path(entry["file"]).stem, entry["speaker"], entry["sex"],
                                  entry["shape"], pcm))
    return clips
