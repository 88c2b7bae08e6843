"""Voices: espeak speaks plausibly, tone is deterministic, both at 24 kHz int16."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from tests import speech
from tests.conftest import require_or_skip
from tests.speech import TEST_PHRASES
from voicechat.server.voice import tts
from voicechat.server.voice.tts import make_voice


def spectrum_centroid_hz(x: np.ndarray, rate: int) -> float:
    mag = np.abs(np.fft.rfft(x.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    return float((mag * freqs).sum() / mag.sum())


def test_espeak_produces_speech_like_audio_of_plausible_duration() -> None:
    voice = make_voice("espeak")
    assert voice.sample_rate == 24000
    for phrase in TEST_PHRASES:
        pcm = voice.synthesize(phrase)
        assert pcm.dtype == np.int16 and pcm.ndim == 1
        seconds = len(pcm) / 24000
        words = len(phrase.split())
        # 160 words per minute: 0.375 s a word, give or take pauses and trailing silence.
        assert 0.2 * words <= seconds <= 0.7 * words + 0.5, (phrase, seconds)
        assert 0.05 < np.abs(pcm).max() / 32768 <= 1.0
        # Speech, not a tone: energy spread over voice frequencies, with gaps between words.
        assert 300 < spectrum_centroid_hz(pcm, 24000) < 4000
        frames = pcm[: len(pcm) // 240 * 240].reshape(-1, 240).astype(np.float64)
        energy = np.sqrt((frames**2).mean(axis=1))
        assert (energy < energy.max() * 0.05).sum() >= 3  # quiet 10 ms frames exist


def test_longer_text_takes_longer_to_say() -> None:
    voice = make_voice("espeak")
    short = voice.synthesize("Hello.")
    long = voice.synthesize("Hello, and welcome to the offline voice chat demonstration.")
    assert len(long) > 2 * len(short)
    assert len(voice.synthesize("   ")) == 0


def test_espeak_cli_fallback_speaks_when_the_library_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_or_skip(tts.shutil.which("espeak-ng") is not None, "Debian espeak-ng not installed")
    monkeypatch.setattr(tts, "_espeak_library", lambda: None)
    voice = tts.EspeakVoice()
    pcm = voice.synthesize(TEST_PHRASES[0])
    assert 1.0 < len(pcm) / 24000 < 4.0
    assert np.abs(pcm).max() > 3000


def test_no_synthesiser_at_all_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tts, "_espeak_library", lambda: None)
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    with pytest.raises(tts.VoiceUnavailableError, match="--voice tone"):
        tts.EspeakVoice()


def test_tone_is_bit_identical_and_length_follows_the_text() -> None:
    voice = make_voice("tone")
    assert voice.sample_rate == 24000
    a = voice.synthesize("You said: hello there")
    b = make_voice("tone").synthesize("You said: hello there")
    assert a.dtype == np.int16 and np.array_equal(a, b)
    # one beep per word: 60 + 15*len(word) ms each, plus a 70 ms gap
    expected_ms = sum(60 + 15 * len(w) + 70 for w in ["you", "said", "hello", "there"])
    assert len(a) == expected_ms * 24
    assert len(voice.synthesize("one two three four")) > len(voice.synthesize("one two"))
    assert len(voice.synthesize("")) == 0


def test_tone_is_identical_across_processes() -> None:
    code = (
        "import hashlib; from voicechat.server.voice.tts import make_voice;"
        "print(hashlib.sha256(make_voice('tone').synthesize('Deterministic test audio').tobytes())"
        ".hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = hashlib.sha256(make_voice("tone").synthesize("Deterministic test audio").tobytes())
    assert out.stdout.strip() == here.hexdigest()


def test_tone_words_differ_in_pitch() -> None:
    voice = make_voice("tone")
    peaks = set()
    for word in ["alpha", "bravo", "delta"]:  # same length, different words
        pcm = voice.synthesize(word)
        spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
        peaks.add(round(float(np.argmax(spectrum) * 24000 / len(pcm))))
    assert len(peaks) == 3


def test_unknown_voice_is_named() -> None:
    with pytest.raises(ValueError, match="'espeak' or 'tone'"):
        make_voice("robot")  # type: ignore[arg-type]


def test_test_speech_is_the_same_whatever_this_process_said_before() -> None:
    """``tests.speech`` speaks a text as a fresh process's first sentence: libespeak-ng carries
    two counters from one sentence to the next (pitch flutter, roughness), so in one process the
    same sentence depends on what was said before it, and test audio on the order tests ran."""
    first = speech.speech_pcm(TEST_PHRASES[0], 24000)
    voice = make_voice("espeak")
    for phrase in (*TEST_PHRASES[1:], "Ah."):
        voice.synthesize(phrase)
    speech._spoken.cache_clear()
    speech._speech.cache_clear()
    assert np.array_equal(speech.speech_pcm(TEST_PHRASES[0], 24000), first)
