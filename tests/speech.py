"""Spoken test audio for every test area: synthetic speech that the offline recogniser knows.

``TEST_PHRASES`` are sentences chosen because pocketsphinx, given them as a grammar, returns
each one exactly from espeak-ng audio — from the bundled library and from Debian's espeak-ng
program, at 16 kHz directly, after a trip through 48 kHz and through Opus (checked in
tests/server/voice/test_asr.py). Use them whenever a test needs to know what was said.

    from tests.speech import TEST_PHRASES, speech_pcm, speech_wav

    pcm = speech_pcm(TEST_PHRASES[0])                 # int16 mono, 48 kHz
    wav = speech_wav(tmp_path / "in.wav", TEST_PHRASES[:2], rate=48000)

Each text is spoken once per process, in a fresh interpreter, and cached, so its audio is
the same whatever the tests before it said. libespeak-ng keeps two counters from one sentence
to the next that no call resets (the pitch flutter's phase, ``Flutter_ix``, and the glottal
cycle count roughness uses, ``cycle_count``): in one process the same sentence came out
42,983, then 42,993, then 43,001 samples long, and the 16 and 48 kHz VAD boundaries of
``three_phrases()`` moved by up to 96 ms with the order the tests ran in. A fresh process
starts them at zero. (The product's voice keeps them: a steady pitch is unnatural, and it
is what the echo canceller hears in the audio tests.)
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voicechat.audio.files import write_wav
from voicechat.rtc.dsp import resample

TEST_PHRASES: list[str] = [
    "Please turn on the kitchen lights.",
    "What is the weather like tomorrow?",
    "Play some music in the living room.",
    "How far away is the moon?",
    "Call my sister after dinner.",
    "Set an alarm for seven o'clock.",
]


#: Speaks ``sys.argv[1]`` as the first sentence of a fresh process: 24 kHz int16 on stdout.
_SPEAK_FRESH = (
    "import sys\n"
    "from voicechat.server.voice.tts import make_voice\n"
    "sys.stdout.buffer.write(make_voice('espeak').synthesize(sys.argv[1]).tobytes())\n"
)
_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=128)
def _spoken(text: str) -> bytes:
    """``text`` spoken by espeak-ng at 24 kHz, as the first sentence of a fresh process."""
    run = subprocess.run([sys.executable, "-c", _SPEAK_FRESH, text], capture_output=True,
                         timeout=60, cwd=_ROOT, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"espeak-ng could not speak {text!r}: "
                           f"{run.stderr.decode(errors='replace')[-2000:]}")
    return run.stdout


@lru_cache(maxsize=128)
def _speech(text: str, rate: int) -> bytes:
    pcm = np.frombuffer(_spoken(text), dtype=np.int16)
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
    write_wav(out, np.concatenate(parts), rate)
    return out
