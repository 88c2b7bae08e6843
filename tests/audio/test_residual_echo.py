"""The residual-echo detector: echo leaking into the mic is flagged, the user's voice is not."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from tests.audio.echo_signals import RATE, EchoScene, scene
from voicechat.audio.echo import EchoCanceller, ResidualEchoDetector, ResidualVerdict


def judge(
    mic: npt.NDArray[np.int16], far: npt.NDArray[np.int16]
) -> tuple[ResidualEchoDetector, list[tuple[float, ResidualVerdict]]]:
    detector = ResidualEchoDetector(RATE)
    verdicts = []
    for i in range(0, far.size - 960 + 1, 960):
        detector.push_far(far[i : i + 960])
        verdict = detector.update(mic[i : i + 960])
        if verdict is not None:
            verdicts.append((i / RATE, verdict))
    return detector, verdicts


def int16(x: npt.ArrayLike) -> npt.NDArray[np.int16]:
    return np.clip(np.rint(np.asarray(x, dtype=np.float64)), -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def room() -> EchoScene:
    return scene(8.0, near_at_s=5.0)


@pytest.fixture(scope="module")
def cancelled(room: EchoScene) -> npt.NDArray[np.int16]:
    aec = EchoCanceller()
    out = np.zeros(room.far.size, dtype=np.int16)
    for i in range(0, room.far.size - 960 + 1, 960):
        aec.process_far(room.far[i : i + 960])
        out[i : i + 960] = aec.process_near(room.mic[i : i + 960])
    assert not aec.metrics.echo_leaking and aec.take_verdicts() == []
    return out


def test_uncancelled_echo_is_flagged_within_a_second_or_two(room: EchoScene) -> None:
    detector, verdicts = judge(room.mic, room.far)
    assert verdicts, "raw echo at -6 dB must be flagged"
    at, first = verdicts[0]
    assert first.leaking and at < 2.5
    assert first.peak is not None and abs(first.peak.lag_ms - 50.0) < 2.0
    assert detector.leaking_windows >= detector.windows // 2


def test_cancelled_echo_and_the_users_voice_are_not_echo(
    room: EchoScene, cancelled: npt.NDArray[np.int16]
) -> None:
    detector, verdicts = judge(cancelled, room.far)
    assert verdicts == [] and detector.windows > 10 and detector.leaking_windows == 0


def test_the_user_alone_while_the_assistant_talks_is_not_echo(room: EchoScene) -> None:
    noise = np.random.default_rng(3).standard_normal(room.far.size) * 3
    detector, verdicts = judge(int16(room.near + noise), room.far)
    assert verdicts == [] and detector.windows > 10


def test_faint_echo_below_what_a_vad_hears_is_not_flagged() -> None:
    faint = scene(6.0, gain_db=-40.0)
    _, verdicts = judge(faint.mic, faint.far)
    assert verdicts == []


def test_a_leak_after_cancellation_is_flagged_and_clears_when_it_stops(
    room: EchoScene, cancelled: npt.NDArray[np.int16]
) -> None:
    """-20 dB of the echo leaking past the canceller for the first 4 s, then none."""
    leak = room.echo * 0.1
    leak[4 * RATE :] = 0.0
    _, verdicts = judge(int16(cancelled + leak), room.far)
    states = [v.leaking for _, v in verdicts]
    assert states == [True, False], verdicts
    assert verdicts[1][0] > 4.0


def test_silence_from_the_far_end_keeps_the_verdict(room: EchoScene) -> None:
    detector = ResidualEchoDetector(RATE)
    silence = np.zeros(room.far.size, dtype=np.int16)
    for i in range(0, room.far.size - 960 + 1, 960):
        detector.push_far(silence[i : i + 960])
        assert detector.update(room.near[i : i + 960].astype(np.int16)) is None
    assert detector.windows == 0 and not detector.leaking


def test_windows_not_to_be_judged_are_neither_judged_nor_counted(room: EchoScene) -> None:
    """While the local barge-in detector holds that the user talks over the assistant, the
    correlation is not judged (two voices can correlate for a moment); judged again after."""
    detector = ResidualEchoDetector(RATE)
    half = room.far.size // 2 // 960 * 960
    for i in range(0, half, 960):
        detector.push_far(room.far[i : i + 960])
        assert detector.update(room.mic[i : i + 960], judge=False) is None
    assert not detector.leaking and detector.windows == 0
    verdicts = []
    for i in range(half, room.far.size - 960 + 1, 960):
        detector.push_far(room.far[i : i + 960])
        verdicts.append(detector.update(room.mic[i : i + 960]))
    assert detector.leaking, "raw echo is judged again once the user is done"
