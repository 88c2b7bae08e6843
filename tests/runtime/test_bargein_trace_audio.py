"""The barge-in trace keeps the audio the copy ear's speech model heard, so a replay can run a
model on the very frames the live one judged (runtime/bargein_trace.py, bench/bargein_replay.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from voicechat.core import TalkFrame
from voicechat.runtime.bargein_trace import COPY_AUDIO_SUFFIX, TRACE_ENV, FrameTrace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bargein_replay import with_copy_model

FRAME = TalkFrame(ms=20.0, speech_prob=0.1, out_dbfs=-50.0, copy_speech_prob=0.25)


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kept cell's directory whose ``trace.jsonl`` the switch names."""
    monkeypatch.setenv(TRACE_ENV, str(tmp_path / "trace.jsonl"))
    return tmp_path


def _trace() -> FrameTrace:
    trace = FrameTrace.from_env()
    assert trace is not None
    return trace


def test_each_frames_copy_audio_follows_the_last_with_its_length(cell: Path) -> None:
    path = cell / "trace.jsonl"
    trace = _trace()
    first = np.arange(160, dtype=np.int16)
    second = -np.arange(160, dtype=np.int16)
    trace.write(FRAME, paused=False, copy_heard=first)
    trace.write(FRAME, paused=False)  # no residual this frame: nothing written for it
    trace.write(FRAME, paused=True, copy_heard=second)
    trace.close()
    rows = _rows(path)
    assert [r.get("copy_samples") for r in rows] == [160, None, 160]
    audio = np.fromfile(str(path) + COPY_AUDIO_SUFFIX, dtype=np.int16)
    assert np.array_equal(audio, np.concatenate([first, second]))


class _Loudness:
    """A stand-in speech model whose word is the chunk's peak and how many it has heard
    since its last reset: what a replay must feed it, in order, is then visible."""

    def __init__(self) -> None:
        self.heard = 0

    def push(self, frame: np.ndarray) -> float:
        self.heard += 1
        return float(np.abs(frame).max()) + self.heard / 1000.0

    def reset(self) -> None:
        self.heard = 0


def test_a_replay_feeds_each_rows_audio_and_resets_where_the_live_model_did(
        cell: Path) -> None:
    trace = _trace()
    for level in (100, 200):
        trace.write(FRAME, paused=False, copy_heard=np.full(160, level, dtype=np.int16))
    trace.mark("stopped")
    trace.write(FRAME, paused=False)
    trace.write(FRAME, paused=False, copy_heard=np.full(160, 300, dtype=np.int16))
    trace.close()
    rows = with_copy_model(cell, _rows(cell / "trace.jsonl"), _Loudness)
    assert [r.get("copy_speech_prob") for r in rows] == [100.001, 200.002, None, 0.25,
                                                         300.001]
