"""A frame-by-frame trace of the local barge-in detector's input, for tuning it (issue 38).

Why: the detector's records (``local.bargein.*``) say what it decided and on which frame, not
what it saw on the frames where it decided nothing; an interruption it missed leaves no record
at all. With ``VOICECHAT_BARGEIN_TRACE=FILE`` set, every measured frame it is fed is appended to
``FILE`` as one JSON line, with the wall time (the event log's clock) and the phase it was in,
so a recorded session can be replayed through the sans-IO detector offline
(``bench/bargein_replay.py``); each frame carries the linear ear's residual (``linear_dbfs``)
too, so a replay can try the second ear's tuning. A developer's switch, not a setting: it
writes 50 lines a second while the assistant speaks, and nothing in it is secret (levels and
probabilities).

Beside it, ``FILE.copy.s16`` keeps the audio the copy ear's speech model heard (what the copy
ear's fit left of the mic, raised for a quiet scene: 8 kHz mono int16, one row's
``copy_samples`` after another), so a replay can run another speech model, or the same one
differently, on the very frames the live one judged. The model's word on that residual
depends on its state and on where its 32 ms windows fall: on one kept cell (issue 53, busy
seed 11), hts2a's word heard at 0.43 with one alignment was 0.89 with the windows 16 ms later,
and no trace of levels could have shown it. The residual holds the person's voice, which the
trace's levels do not; it stays on the developer's machine like the trace itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO

import numpy as np
import numpy.typing as npt

from voicechat.core import TalkFrame

TRACE_ENV = "VOICECHAT_BARGEIN_TRACE"
#: the copy ear's residual as its speech model heard it, beside the trace file
COPY_AUDIO_SUFFIX = ".copy.s16"


class FrameTrace:
    """Appends each frame as ``{"t": wall, "paused": bool, **frame}``; closed with the run."""

    def __init__(self, out: IO[str], copy_audio: IO[bytes] | None = None) -> None:
        self._out = out
        self._copy_audio = copy_audio

    @classmethod
    def from_env(cls) -> FrameTrace | None:
        path = os.environ.get(TRACE_ENV)
        if not path:
            return None
        # line-buffered (the audio unbuffered): a client stopped by a signal keeps every frame
        # it traced
        return cls(open(path, "a", encoding="utf-8", buffering=1),
                   open(path + COPY_AUDIO_SUFFIX, "ab", buffering=0))

    def write(self, frame: TalkFrame, *, paused: bool,
              stage: Mapping[str, object] | None = None,
              copy_heard: npt.NDArray[np.int16] | None = None) -> None:
        """One frame; ``stage``: the echo canceller's view of its reference at that frame
        (``EchoCanceller.trace_view``), kept under ``"stage"``: not the detector's input, so a
        replay leaves it, but what says whether the speaker's feed had stalled;
        ``copy_heard``: the audio the copy ear's speech model was given for it, appended to
        the audio file with its length as ``"copy_samples"``."""
        row: dict[str, object] = {"t": round(time.time(), 4), "paused": paused}
        row.update({k: v if not isinstance(v, float) else round(v, 3)
                    for k, v in asdict(frame).items()})
        if stage:
            row["stage"] = dict(stage)
        if copy_heard is not None and self._copy_audio is not None:
            self._copy_audio.write(np.ascontiguousarray(copy_heard, dtype=np.int16).tobytes())
            row["copy_samples"] = int(copy_heard.size)
        self._out.write(json.dumps(row, separators=(",", ":")) + "\n")

    def mark(self, kind: str) -> None:
        """A playback stretch began or ended (where a replay resets the detector)."""
        self._out.write(json.dumps({"t": round(time.time(), 4), "mark": kind}) + "\n")

    def close(self) -> None:
        self._out.close()
        if self._copy_audio is not None:
            self._copy_audio.close()
