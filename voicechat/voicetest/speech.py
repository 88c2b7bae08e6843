"""A scenario's spoken turns as mic audio: synthesized offline, or read from a recording.

``say:`` turns are spoken by espeak-ng (the program Debian ships; no network, no key), in the
turn's ``voice`` and ``rate`` (default ``en-us`` at 175 words a minute, the rate people speak
on the phone); ``audio:`` turns are read with whatever FFmpeg reads (PyAV). Both become 48 kHz
mono int16, the mic's format, and are shaped before they are said:

* ``level_db`` is a gain in dB on the turn's audio (``-20``: a quiet or far-away caller;
  ``+6``: a hot mic, clipped at full scale as a real one is);
* ``noise_db`` adds white noise that many dB from the voice's active level (``-20``: noise
  20 dB under the voice), over the whole utterance and its lead-in.

Every utterance gets :data:`LEAD_IN_S` of silence first, so a server VAD that needs a little
quiet before speech (and the prefix padding it keeps) sees a clean onset, and is prepared before
the conversation starts: a missing voice or an unreadable file stops the run before anything
connects (exit 2), never in the middle of a turn.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

from voicechat.audio.files import AudioFileError, read_audio
from voicechat.audio.playback import RATE, Int16Array
from voicechat.rtc.dsp import resample
from voicechat.scenario.spec import Turn
from voicechat.server.voice.tts import VoiceUnavailableError, parse_streamed_wav

DEFAULT_VOICE = "en-us"
DEFAULT_RATE_WPM = 175
LEAD_IN_S = 0.3
#: the noise's generator is seeded: the same scenario sounds the same on every run
NOISE_SEED = 52


class SpeechError(RuntimeError):
    """A turn's audio cannot be made; the message names the turn's problem and the fix."""


class VoiceError(SpeechError):
    """The turn's ``voice`` is one espeak-ng does not have or refuses: the lint names the
    ``voice`` key's line, not the ``say`` line (issue 79)."""


def turn_audio(turn: Turn) -> Int16Array:
    """The mic audio of a ``say`` or ``audio`` turn, shaped and with its lead-in."""
    if turn.kind == "say":
        pcm = synthesize(turn.content, turn.voice or DEFAULT_VOICE,
                         turn.rate or DEFAULT_RATE_WPM)
    elif turn.kind == "audio":
        pcm = recording(turn.content)
    else:
        raise ValueError(f"a {turn.kind} turn has no audio")
    return shaped(pcm, level_db=turn.level_db, noise_db=turn.noise_db)


@lru_cache(maxsize=256)
def synthesize(text: str, voice: str, rate: int) -> Int16Array:
    """``text`` spoken by espeak-ng, as 48 kHz mono int16 (cached: a scenario repeated, or
    run by many callers, is synthesized once)."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise SpeechError("a 'say' turn needs espeak-ng, which is not installed; fix: "
                          "apt-get install espeak-ng (or use an 'audio' turn with a recording)")
    check_voice(exe, voice)
    try:
        out = subprocess.run([exe, "-v", voice, "-s", str(rate), "--stdout", text],
                             capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechError(f"espeak-ng could not run: {exc}") from None
    if out.returncode != 0 or not out.stdout.startswith(b"RIFF"):
        said = out.stderr.decode("utf-8", "replace").strip() or f"exit {out.returncode}"
        raise VoiceError(f"espeak-ng refused voice {voice!r}: {said}; fix: a voice from "
                          "`espeak-ng --voices` (e.g. en-us, en-us+f3, en-gb+m3)")
    try:
        pcm, rate_hz = parse_streamed_wav(out.stdout)
    except VoiceUnavailableError as exc:
        raise SpeechError(str(exc)) from None
    return resample(pcm, rate_hz, RATE) if rate_hz != RATE else pcm


def check_voice(exe: str, voice: str) -> None:
    """Refuse a voice espeak-ng does not have: it would speak in its default voice instead and
    exit 0, so a typo in ``voice:`` would silently test another voice."""
    base, _, variant = voice.partition("+")
    voices, variants = _espeak_voices(exe)
    if base.casefold() not in voices or (variant and variant.casefold() not in variants):
        wrong = f"variant {variant!r}" if base.casefold() in voices else f"voice {base!r}"
        raise VoiceError(f"espeak-ng has no {wrong} (in {voice!r}); fix: a voice from "
                          "`espeak-ng --voices`, optionally +VARIANT from `espeak-ng "
                          "--voices=variant` (e.g. en-us, en-us+f3, en-gb+m3)")


@lru_cache(maxsize=4)
def _espeak_voices(exe: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names a voice may be given by (language, name, file) and the variants' names."""
    def names(argument: str) -> frozenset[str]:
        try:
            listing = subprocess.run([exe, argument], capture_output=True, text=True,
                                     timeout=30, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return frozenset()
        out: set[str] = set()
        for line in listing.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 5:
                out.update({fields[1], fields[3], fields[4], fields[4].rsplit("/", 1)[-1]})
        return frozenset(name.casefold() for name in out)

    return names("--voices"), names("--voices=variant")


def recording(path: str) -> Int16Array:
    """The recording at ``path`` as 48 kHz mono int16 (any format PyAV decodes)."""
    try:
        pcm, rate_hz = read_audio(Path(path))
    except AudioFileError as exc:  # it names the file itself
        raise SpeechError(str(exc)) from None
    except OSError as exc:
        raise SpeechError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return resample(pcm, rate_hz, RATE) if rate_hz != RATE else pcm


def shaped(pcm: Int16Array, *, level_db: float | None, noise_db: float | None) -> Int16Array:
    """``pcm`` with the lead-in, its gain and its noise (see the module docstring)."""
    lead = np.zeros(int(LEAD_IN_S * RATE), dtype=np.float64)
    voice = np.concatenate([lead, pcm.astype(np.float64)])
    if level_db:
        voice *= 10.0 ** (level_db / 20.0)
    if noise_db is not None:
        active = active_rms(voice)
        rng = np.random.default_rng(NOISE_SEED)
        voice += rng.standard_normal(voice.size) * active * 10.0 ** (noise_db / 20.0)
    return np.clip(np.round(voice), -32768, 32767).astype(np.int16)


def active_rms(pcm: np.ndarray) -> float:
    """The RMS of the 20 ms frames within 30 dB of the loudest one (the voice, not its
    pauses): what a noise level "under the voice" is measured from."""
    frames = pcm[: pcm.size // 960 * 960].astype(np.float64).reshape(-1, 960)
    if frames.size == 0:
        return 0.0
    rms = np.sqrt((frames**2).mean(axis=1))
    loud = rms[rms >= rms.max() * 10 ** (-30 / 20)]
    return float(np.sqrt((loud**2).mean())) if loud.size else 0.0
