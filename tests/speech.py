"""Spoken test audio for every test area: synthetic speech that the offline recogniser knows.

``TEST_PHRASES`` are sentences chosen because pocketsphinx, given them as a grammar, returns
each one exactly from espeak-ng audio — from the bundled library and from Debian's espeak-ng
program, at 16 kHz directly, after a trip through 48 kHz and through Opus (checked in
tests/server/voice/test_asr.py). Use them whenever a test needs to know what was said.

    from tests.speech import TEST_PHRASES, speech_pcm, speech_wav

    pcm = speech_pcm(TEST_PHRASES[0])                 # int16 mono, 48 kHz
    wav = speech_wav(tmp_path / "in.wav", TEST_PHRASES[:2], rate=48000)

Synthesis is cached per process, so calling these repeatedly costs nothing.
"""

from __future__ import annotations

import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicechat.rtc.dsp import resample
from voicechat.server.voice.tts import make_voice

TEST_PHRASES: list[str] = [
    "Please turn on the kitchen lights.",
    "What is the weather like tomorrow?",
    "Play some music in the living room.",
    "How far away is the moon?",
    "Call my sister after dinner.",
    "Set an alarm for seven o'clock.",
]


@lru_cache(maxsize=128)
def _speech(text: str, rate: int) -> bytes:
    pcm = make_voice("espeak").synthesize(text)
    return resample(pcm, 24000, rate).tobytes()


def speech_pcm(text: str, rate: int = 48000) -> npt.NDArray[np.int16]:
    """``text`` spoken by espeak-ng as int16 mono at ``rate`` (no added silence)."""
    return np.frombuffer(_speech(text, rate), dtype=np.int16).copy()


def speech_wav(
    path: Path | str,
    phrases: list[str],
    rate: int = 48000,
    lead_s: float = 0.5,
    gap_s: float = 1.5,
    tail_s: float = 1.0,
) -> Path:
    """Write a mono int16 WAV: ``lead_s`` of silence, the phrases ``gap_s`` apart, ``tail_s``.

    The gaps are long enough (default 1.5 s) for server VAD with the default 200 ms
    ``silence_duration_ms`` to close one turn per phrase.
    """
    out = Path(path)
    parts: list[npt.NDArray[np.int16]] = [np.zeros(round(lead_s * rate), dtype=np.int16)]
    for i, phrase in enumerate(phrases):
        if i:
            parts.append(np.zeros(round(gap_s * rate), dtype=np.int16))
        parts.append(speech_pcm(phrase, rate))
    parts.append(np.zeros(round(tail_s * rate), dtype=np.int16))
    pcm = np.concatenate(parts)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return out
