"""The speech model's two rates (``audio/talk.py``): the copy ear's 8 kHz residual can be heard by
silero's own 8 kHz model instead of being resampled for the 16 kHz one (a candidate judged in
``bench/bargein_sweep.py --copy-model native``). Either way a real recorded word is speech and
the silence around it is not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.voices import recorded_clips
from voicechat.audio.talk import CopyEarProbe, SpeechProbe
from voicechat.rtc.dsp import resample

RATE = 8000
FRAME = RATE // 50  # 20 ms, as the copy ear hands the residual over


def _frame_probs(probe: SpeechProbe, pcm: np.ndarray) -> list[float]:
    return [probe.push(pcm[i:i + FRAME]) for i in range(0, pcm.size - FRAME + 1, FRAME)]


@pytest.mark.parametrize("model_rate", [16000, 8000])
def test_a_recorded_word_is_speech_and_the_silence_around_it_is_not(model_rate: int) -> None:
    clip = next(c for c in recorded_clips() if c.name == "allison-word")
    word = resample(clip.pcm, 48000, RATE)
    silence = np.zeros(RATE // 2, np.int16)
    probe = SpeechProbe(RATE, model_rate=model_rate)
    before = _frame_probs(probe, silence)
    during = _frame_probs(probe, word)
    assert max(before) < 0.1
    assert max(during) >= 0.9
    probe.reset()
    assert probe.prob == 0.0 and max(_frame_probs(probe, silence)) < 0.1


def test_the_copy_ear_hears_with_both_models_and_keeps_the_higher_word() -> None:
    """Frame by frame, the copy ear's word is the higher of the two models' on the same audio
    (issue 53: each misses words the other hears), and a reset forgets both."""
    clips = [c for c in recorded_clips() if c.shape == "word"]
    pcm = np.concatenate([np.concatenate([resample(c.pcm, 48000, RATE),
                                          np.zeros(RATE // 4, np.int16)]) for c in clips])
    ear = CopyEarProbe(RATE)
    both = [_frame_probs(SpeechProbe(RATE, model_rate=r), pcm) for r in (16000, 8000)]
    heard = _frame_probs(ear, pcm)
    assert heard == [max(a, b) for a, b in zip(*both, strict=True)]
    assert any(a != b for a, b in zip(*both, strict=True))  # two models, not one twice
    ear.reset()  # the models' state goes (the 16 kHz one's resampler keeps its taps, so
    # its windows may fall a few samples apart from a fresh one's: no frame-exact match)
    assert ear.prob == 0.0
    again = _frame_probs(ear, pcm)
    assert again[0] < 0.1 and max(again) >= 0.9
