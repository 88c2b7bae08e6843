"""The doctor's latency section: each turn's first audio within 40 ms of the truth.

The truth is the corpus builder's own timeline (the time each event was written at), so the
check covers every format's timestamps: our records, a bracketed-timestamp Android log of a
beta WebRTC app, a browser console of a GA WebRTC app with a typed turn.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from tests.doctor.corpus import BUILDERS, LOGS, Log
from voicechat.doctor import diagnose
from voicechat.doctor.render import render_json, render_text

_AUDIO = {"response.output_audio.delta", "response.audio.delta", "output_audio_buffer.started"}


def true_first_audio_ms(log: Log) -> list[float]:
    """End of each user turn (speech_stopped received, or the response.create after a typed
    item) to the first audio after it, from the builder's own clock."""
    figures: list[float] = []
    end: float | None = None
    typed = False
    for t, direction, event in log.records:
        kind = event["type"]
        if direction == "in" and kind == "input_audio_buffer.speech_stopped":
            end = t
        elif direction == "out" and kind == "conversation.item.create":
            typed = event["item"].get("role") == "user"
        elif direction == "out" and kind == "response.create" and typed:
            end, typed = t, False
        elif direction == "in" and kind in _AUDIO and end is not None:
            figures.append((t - end) * 1000.0)
            end = None
    return figures


@pytest.mark.parametrize("name", ["timed_turns_ga.jsonl", "slow_vad_beta_webrtc_android.log",
                                  "typed_turn_ga_webrtc_console.log",
                                  "clean_ga_websocket.jsonl", "clean_ga_text_console.log"])
def test_first_audio_is_within_40_ms_of_the_truth_in_json_and_text(
        name: str, tmp_path: Path) -> None:
    truth = true_first_audio_ms(BUILDERS[name](tmp_path / name))
    report = diagnose(LOGS / name)
    latency = json.loads(render_json(report))["latency"]
    measured = [turn["first_audio_ms"] for turn in latency["turns"]]
    assert len(measured) == len(truth) >= 2
    for got, want in zip(measured, truth, strict=True):
        assert abs(got - want) <= 40, (measured, truth)
    median = statistics.median_low(truth)
    assert abs(latency["first_audio_ms"]["p50"] - median) <= 40
    assert latency["first_audio_ms"]["max"] == max(measured)
    assert f"median {latency['first_audio_ms']['p50'] / 1000:.2f} s" in render_text(report)


def test_the_typed_turn_is_timed_from_its_response_create() -> None:
    turns = json.loads(render_json(diagnose(LOGS / "typed_turn_ga_webrtc_console.log")))[
        "latency"]["turns"]
    assert [turn["end"] for turn in turns] == ["speech_stopped", "typed", "speech_stopped"]


def test_the_slow_rule_names_the_vad_wait_and_its_fix() -> None:
    report = diagnose(LOGS / "slow_vad_beta_webrtc_android.log")
    [finding] = [f for f in report.findings if f.rule == "slow-first-audio"]
    assert finding.count == 3
    assert "The largest part is VAD (1.50 s" in finding.fix
    assert "silence_duration_ms" in finding.fix


def test_our_records_show_what_playback_added() -> None:
    turns = json.loads(render_json(diagnose(LOGS / "timed_turns_ga.jsonl")))["latency"]["turns"]
    for turn in turns:
        assert 50 <= turn["playback_ms"] <= 70  # the builder played 60 ms after the delta
        assert turn["vad_wait_ms"] == 200


def test_a_log_without_times_says_which_clock_or_why_not() -> None:
    bare = json.loads(render_json(diagnose(LOGS / "clean_beta_websocket_bare.jsonl")))
    assert bare["latency"]["turns"] == [] or all(
        turn["clock"] == "audio" for turn in bare["latency"]["turns"])
    assert bare["latency"]["note"]
