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


def test_the_wait_as_heard_is_beside_first_audio_where_the_log_shows_more() -> None:
    """The lines under each answer and the slow rule count the user's wait (the VAD's silence
    and the client's playback included); the summary counts to the first audio received. Where
    they differ the section gives both, so a user comparing ``--no-ui``'s line with the doctor
    is not left with two "first audio" figures for one turn."""
    report = diagnose(LOGS / "timed_turns_ga.jsonl")
    latency = json.loads(render_json(report))["latency"]
    heard = sorted(turn["heard_ms"] for turn in latency["turns"])
    assert latency["heard_ms"]["max"] == heard[-1]
    assert latency["heard_ms"]["p50"] > latency["first_audio_ms"]["p50"]  # + VAD + playback
    text = render_text(report)
    assert f"as heard (the server VAD's wait and the client's playback included, as under each " \
           f"answer): median {latency['heard_ms']['p50'] / 1000:.2f} s" in text


def test_no_second_figure_where_the_log_shows_nothing_more() -> None:
    """A console log of a typed turn (no VAD wait) from an app that logs no playback: the
    user's wait is the first audio, and the section says it once."""
    report = diagnose(LOGS / "xai_silent_start_console.log")
    latency = json.loads(render_json(report))["latency"]
    assert latency["heard_ms"] == latency["first_audio_ms"] is not None
    text = render_text(report)
    assert "median 0.53 s" in text and "as heard" not in text


def test_a_timed_log_without_a_turn_is_not_said_to_have_no_times(tmp_path: Path) -> None:
    """Times on any record count, not only on the events the timeline reads (issue 55)."""
    log = tmp_path / "notices.jsonl"
    log.write_text("".join(json.dumps({"t": t, "ts": "2026-11-26T09:00:00.000Z", "dir": "local",
                                       "event": {"type": "local.notice", "level": "info",
                                                 "message": "hello"}}) + "\n"
                           for t in (0.0, 1.5)), encoding="utf-8")
    note = json.loads(render_json(diagnose(log)))["latency"]["note"]
    assert "no times" not in note and "no answer with audio" in note


def _bare_block(*, mic_runs_on: bool) -> str:
    """The corpus's clean GA session as bare events without times (two answered turns);
    ``mic_runs_on``: the mic's audio goes on between each turn's end and its answer (100 ms
    appended after ``response.created``), so the mic-audio clock can time it."""
    import base64

    chunk = base64.b64encode(bytes(4800)).decode("ascii")
    out = []
    for line in (LOGS / "clean_ga_websocket.jsonl").read_text().splitlines():
        event = json.loads(line)["event"]
        if event["type"].startswith("local."):
            continue
        out.append(json.dumps(event))
        if mic_runs_on and event["type"] == "response.created":
            out.append(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(("clockless_blocks", "timed"), [(1, 2), (2, 0)])
def test_without_times_the_search_for_a_mic_clock_stops_after_three_untimeable_turns(
        tmp_path: Path, clockless_blocks: int, timed: int) -> None:
    """Issue 55's decision (``CLOCKLESS_AFTER``): two turns the mic clock cannot time, then
    two it can, are timed; after four it cannot, the rule has stopped looking."""
    log = tmp_path / "bare.jsonl"
    log.write_text(_bare_block(mic_runs_on=False) * clockless_blocks
                   + _bare_block(mic_runs_on=True), encoding="utf-8")
    latency = json.loads(render_json(diagnose(log)))["latency"]
    assert len(latency["turns"]) == timed
    assert all(turn["clock"] == "audio" for turn in latency["turns"])
    if not timed:
        assert "no times" in latency["note"]
