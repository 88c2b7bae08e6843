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
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO

from voicechat.core import TalkFrame

TRACE_ENV = "VOICECHAT_BARGEIN_TRACE"


class FrameTrace:
    """Appends each frame as ``{"t": wall, "paused": bool, **frame}``; closed with the run."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    @classmethod
    def from_env(cls) -> FrameTrace | None:
        path = os.environ.get(TRACE_ENV)
        if not path:
            return None
        # line-buffered: a client stopped by a signal keeps every frame it traced
        return cls(open(path, "a", encoding="utf-8", buffering=1))

    def write(self, frame: TalkFrame, *, paused: bool,
              stage: Mapping[str, object] | None = None) -> None:
        """One frame; ``stage``: the echo canceller's view of its reference at that frame
        (``EchoCanceller.trace_view``), kept under ``"stage"``: not the detector's input, so a
        replay leaves it, but what says whether the speaker's feed had stalled."""
        row: dict[str, object] = {"t": round(time.time(), 4), "paused": paused}
        row.update({k: v if not isinstance(v, float) else round(v, 3)
                    for k, v in asdict(frame).items()})
        if stage:
            row["stage"] = dict(stage)
        self._out.write(json.dumps(row, separators=(",", ":")) + "\n")

    def mark(self, kind: str) -> None:
        """A playback stretch began or ended (where a replay resets the detector)."""
        self._out.write(json.dumps({"t": round(time.time(), 4), "mark": kind}) + "\n")

    def close(self) -> None:
        self._out.close()
