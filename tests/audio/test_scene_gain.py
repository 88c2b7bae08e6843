"""A quiet scene raised for the barge-in speech models (``audio/scene_gain.py``, issue 53).

The real speech model (silero) on a real recorded word: quiet, it does not hear it; raised by
the scene's gain, it does. The gain's own rules (what it follows, how far it raises, never
lowers, clips) are properties.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.voices import at_level, recorded_clips
from voicechat.audio.scene_gain import MAX_GAIN_DB, REFERENCE_DBFS, SceneGain
from voicechat.audio.talk import SpeechProbe

FRAME = 960  # 20 ms at 48 kHz, as the detector feeds its models


def frames_over_half(pcm: np.ndarray, gain: SceneGain) -> int:
    """20 ms frames the speech model puts at 0.5 or more, the word between two silences."""
    padded = np.concatenate([np.zeros(9600, np.int16), pcm, np.zeros(9600, np.int16)])
    probe = SpeechProbe(48000)
    return sum(probe.push(gain.apply(padded[i:i + FRAME])) >= 0.5
               for i in range(0, padded.size - FRAME + 1, FRAME))


def scene_at(level_dbfs: float) -> SceneGain:
    gain = SceneGain()
    for _ in range(200):  # 4 s of the assistant talking
        gain.follow(level_dbfs, -20.0, 30.0)
    return gain


def test_a_quiet_word_the_model_misses_is_heard_raised() -> None:
    """Allison's "pause" at -52 dBFS active (a mic 20 dB down): no 20 ms frame at 0.5 as it
    is; in the grid's -20 dB scene (-47 dBFS) raised 17 dB, it is heard."""
    word = at_level(next(c.pcm for c in recorded_clips() if c.name == "allison-word"), -52.0)
    assert frames_over_half(word, SceneGain()) == 0
    raised = scene_at(-47.0)
    assert raised.gain_db > 15.0
    assert frames_over_half(word, raised) >= 5


def test_the_scenes_the_detector_was_tuned_on_are_left_as_they_are() -> None:
    """The grid's default scene reads -27 dBFS, +6 dB -21: no gain, the frames untouched."""
    frame = (np.arange(FRAME) % 200 - 100).astype(np.int16)
    for level in (-27.0, -21.0, REFERENCE_DBFS):
        gain = scene_at(level)
        assert gain.gain_db == 0.0
        assert gain.apply(frame) is frame
    assert SceneGain().gain_db == 0.0  # not heard yet


def test_only_the_echo_alone_is_the_scene() -> None:
    """A gap in the answer, the mic's digital silence, a voice the copy ear does not explain:
    no news of the scene's level. With headphones (no echo to explain) a quiet room is never
    taken for a mic set low."""
    gain = scene_at(-47.0)
    before = gain.level_dbfs
    for in_dbfs, far_dbfs, explained in ((-90.0, -20.0, 30.0), (-20.0, -70.0, 30.0),
                                         (None, -20.0, 30.0), (-20.0, None, 30.0),
                                         (-20.0, -20.0, 3.0), (-20.0, -20.0, None)):
        gain.follow(in_dbfs, far_dbfs, explained)
    assert gain.level_dbfs == before
    headphones = SceneGain()
    for _ in range(200):
        headphones.follow(-65.0, -20.0, None)  # the copy ear finds no speaker in the room
    assert headphones.gain_db == 0.0


def test_a_voice_over_the_echo_lifts_the_scene_little() -> None:
    """200 ms of a voice 10 dB over a -47 dBFS echo: the gain drops by under 5 dB."""
    gain = scene_at(-47.0)
    start = gain.gain_db
    for _ in range(10):  # the voice over the echo frames the copy ear still explains
        gain.follow(-37.0, -20.0, 15.0)
    assert start - gain.gain_db < 5.0


@given(level=st.floats(-79.0, 0.0),
       frame=arrays(np.int16, 96, elements=st.integers(-32768, 32767)))
def test_the_gain_raises_within_its_cap_and_never_wraps(level: float,
                                                        frame: np.ndarray) -> None:
    gain = scene_at(level)
    assert 0.0 <= gain.gain_db <= MAX_GAIN_DB
    raised = gain.apply(frame).astype(np.int64)
    wide = frame.astype(np.int64)
    assert np.all(np.sign(raised) == np.sign(wide))  # clipped, not wrapped round
    assert np.all(np.abs(raised) >= np.abs(wide))  # never lowered
