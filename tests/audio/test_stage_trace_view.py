"""The echo canceller's view of its reference, as the barge-in trace keeps it (issue 53).

Why: busy runs of the jump test cut the answer where the reference level in the detector's
trace stood still for 300 ms, and nothing in the trace said whether the speaker's feed had
stalled or the APM's lag had moved; these figures say which."""

from __future__ import annotations

import io
import json

import numpy as np

from voicechat.audio.echo.stage import EchoCanceller
from voicechat.core import TalkFrame
from voicechat.runtime.bargein_trace import FrameTrace

RATE = 48000
BLOCK = RATE // 100  # 10 ms


def _tone(n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    return (3000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def test_a_feed_that_runs_ahead_shows_its_lead_and_feeds_the_apm() -> None:
    stage = EchoCanceller()
    far = _tone(BLOCK * 20)
    for k in range(10):  # the speaker's feed 100 ms ahead of the mic
        stage.process_far(far[k * BLOCK:(k + 1) * BLOCK])
    for k in range(5):
        stage.process_far(far[(10 + k) * BLOCK:(11 + k) * BLOCK])
        stage.process_near(np.zeros(BLOCK, dtype=np.int16))
    view = stage.trace_view()
    assert view["far_lead_ms"] == 100.0
    assert view["apm_far_frames"] == 5
    assert view["lag_ms"] == 0


def test_a_feed_that_stalls_shows_a_lead_below_zero_and_a_still_apm() -> None:
    stage = EchoCanceller()
    far = _tone(BLOCK * 5)
    for k in range(5):
        stage.process_far(far[k * BLOCK:(k + 1) * BLOCK])
    for _ in range(5):
        stage.process_near(np.zeros(BLOCK, dtype=np.int16))
    fed = stage.trace_view()["apm_far_frames"]
    for _ in range(8):  # the speaker's callbacks stop; the mic's go on
        stage.process_near(np.zeros(BLOCK, dtype=np.int16))
    view = stage.trace_view()
    assert view["apm_far_frames"] == fed == 5
    assert view["far_lead_ms"] is not None and view["far_lead_ms"] < 0


def test_the_trace_keeps_the_stage_view_beside_the_frame() -> None:
    out = io.StringIO()
    trace = FrameTrace(out)
    frame = TalkFrame(ms=20.0, speech_prob=0.5, out_dbfs=-40.0, far_dbfs=-22.7)
    trace.write(frame, paused=False,
                stage={"far_lead_ms": -12.5, "lag_ms": 90, "apm_far_frames": 7})
    trace.write(frame, paused=True)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["stage"] == {"far_lead_ms": -12.5, "lag_ms": 90, "apm_far_frames": 7}
    assert first["far_dbfs"] == -22.7 and first["paused"] is False
    assert "stage" not in second and second["paused"] is True
