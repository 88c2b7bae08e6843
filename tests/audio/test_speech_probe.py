"""The speech model's two rates (``audio/talk.py``): the copy ear's 8 kHz residual can be heard by
silero's own 8 kHz model instead of being resampled for the 16 kHz one (a candidate judged in
``bench/bargein_sweep.py --copy-model native``). Either way a real recorded word is speech and
the silence around it is not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.voices import recorded_clips
from voicechat.audio.talk import SpeechProbe
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
