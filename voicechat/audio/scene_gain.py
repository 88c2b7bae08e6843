"""A quiet scene brought up to the level the speech model knows, for the barge-in ears (issue 53).

Why: silero's speech probability depends on the level. Measured here on the recorded voices of
``bench/voices`` alone, with nothing else in the mic: Allison's "pause" peaks at 1.00 at -26 dBFS
active, 0.79 at -46 and 0.29 at -52 (no 20 ms frame at 0.5); hts2a's word 0.99, 0.70 and 0.60,
0.46 at -58. A laptop whose mic is set low (issue 53's grid at mic -20 dB: the voice near -45
dBFS, the echo near -50) leaves the model deaf to a word the copy ear's residual holds whole: on
the quiet seed-61 run, hts1a's word 6 dB under the echo stood 11-14 dB over what the linear
ear leaves of the echo and the copy ear explained 0-9 dB of most of its frames, while the
model on that residual said 0.0-0.4 and the word was never acted on.

So the frames the speech models hear (the cleaned mic, and what the copy ear leaves of the raw
mic) are raised by the dB the scene sits under ``REFERENCE_DBFS``, up to ``MAX_GAIN_DB``; never
lowered. The scene's level is the raw mic's power on frames that are the speaker's own sound
(the copy ear explains ``ECHO_EXPLAINED_DB`` of them), followed over ~1 s (``ALPHA`` per 20 ms
frame): the echo is the one sound whose level says how far the mic is set down, and a voice
over it is not such a frame. With headphones (no echo) nothing is measured and nothing raised;
the room alone, raised 20 dB, would be a reason for false pauses, not a scene. On the grid it
read -26 to -27 dBFS at mic 0 dB (every cell), -36 at -10 dB, -38.5 at -12 dB, -46 at -20 dB
and -20.5 at +6 dB; the reference is 3 dB under the default scene's, so the scenes the
detector was tuned on are left exactly as they are, as is a scene not heard yet. What it
raises, it raises whole: the echo's residue stands against the voice as before, at the level
the detector's figures for the louder cells were measured at. Sans-IO: levels in, a gain out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voicechat.core.copy_voice import EXPLAINED_ECHO_DB

#: a scene (the raw mic's power while the speaker plays, dBFS) under this is raised to it: 3 dB
#: under the grid's default scene (-27 dBFS), where the detector was tuned
REFERENCE_DBFS = -30.0
#: the most a quiet scene is raised (dB): a mic 20 dB down, the quietest the issue asks for
MAX_GAIN_DB = 20.0
#: the speaker's reference over this (dBFS) while the mic is heard: the mic holds the echo
FAR_PLAYING_DBFS = -45.0
#: a mic under this (dBFS) is digital silence or a gap, no news of the scene's level
MIC_FLOOR_DBFS = -80.0
#: a frame the copy ear explains this much of (dB) is the echo alone, for sure: the copy
#: ear's own bar, one figure for both
ECHO_EXPLAINED_DB = EXPLAINED_ECHO_DB
#: how fast the scene's level follows a frame of the speaker playing (per 20 ms frame)
ALPHA = 0.02


class SceneGain:
    """Feed :meth:`follow` each frame's raw mic and reference levels and the copy ear's figure;
    :meth:`apply` raises a frame for the speech model by :attr:`gain_db`."""

    def __init__(self, *, reference_dbfs: float = REFERENCE_DBFS,
                 max_gain_db: float = MAX_GAIN_DB) -> None:
        self.reference_dbfs = reference_dbfs
        self.max_gain_db = max_gain_db
        #: the raw mic's power on frames of the echo alone (dBFS), ``None`` until heard
        self.level_dbfs: float | None = None
        self._power: float | None = None

    def follow(self, in_dbfs: float | None, far_dbfs: float | None,
               explained_db: float | None) -> None:
        """One frame's raw mic and speaker reference levels (dBFS) and how much of it the copy
        ear explains (dB); ``None``: not measured."""
        if (in_dbfs is None or far_dbfs is None or explained_db is None
                or far_dbfs < FAR_PLAYING_DBFS or in_dbfs < MIC_FLOOR_DBFS
                or explained_db < ECHO_EXPLAINED_DB):
            return
        power = 10.0 ** (in_dbfs / 10.0)
        self._power = power if self._power is None else (1 - ALPHA) * self._power + ALPHA * power
        self.level_dbfs = 10.0 * float(np.log10(self._power))

    @property
    def gain_db(self) -> float:
        """How far the speech models' frames are raised now (0 for a scene at or over the
        reference, or not heard yet)."""
        level = self.level_dbfs
        if level is None:
            return 0.0
        return min(self.max_gain_db, max(0.0, self.reference_dbfs - level))

    def apply(self, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """``frame`` raised by :attr:`gain_db` (clipped at full scale), or itself at 0 dB."""
        gain_db = self.gain_db
        if gain_db <= 0.0:
            return frame
        raised = frame.astype(np.float32) * np.float32(10.0 ** (gain_db / 20.0))
        out: npt.NDArray[np.int16] = np.clip(raised, -32768, 32767).astype(np.int16)
        return out


__all__ = ["SceneGain"]
