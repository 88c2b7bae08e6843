"""Gemini Live in the doctor: the family read from its frames in every log format, each rule on
the log that shows its failure, and the near misses that must stay quiet."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.doctor.gemini_corpus import (
    BUILDERS,
    CHUNK_24K,
    DEADLINE,
    EXPECTED,
    MIC_CHUNK,
    GeminiLog,
)
from tests.doctor.gemini_corpus import LOGS as GEMINI_LOGS
from voicechat.doctor import diagnose
from voicechat.eventlog import ReadStats, read_entries
from voicechat.protocol.gemini import client_messages as client
from voicechat.protocol.gemini import close_codes
from voicechat.protocol.gemini import server_messages as server

LOGS = GEMINI_LOGS
#: 100 ms of 64 kHz: 16 kHz audio streamed four times faster than real time
FOUR_TIMES_16K = base64.b64encode(bytes(12800)).decode()


def _rules(path: Path) -> set[str]:
    report = diagnose(path)
    assert report.unreadable == 0
    return {finding.rule for finding in report.findings}


def _finding(path: Path, rule: str) -> tuple[str, str]:
    finding = next(f for f in diagnose(path).findings if f.rule == rule)
    return "\n".join(e.detail for e in finding.evidence), finding.fix


# --- the corpus -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rules_fire_exactly_on_their_logs(name: str) -> None:
    report = diagnose(LOGS / name)
    assert {f.rule for f in report.findings} == EXPECTED[name]
    assert report.unreadable == 0
    assert report.dialect == "gemini"
    for finding in report.findings:
        assert finding.count >= 1 and finding.evidence and finding.fix.strip()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_committed_logs_match_their_builders(name: str, tmp_path: Path) -> None:
    """The files are what gemini_corpus.py writes (its server frames checked against the SDK's
    LiveServerMessage as they are built), and the doctor reads every frame and close."""
    log = BUILDERS[name](tmp_path / name)
    assert (tmp_path / name).read_bytes() == (LOGS / name).read_bytes(), (
        "regenerate with: .venv/bin/python tests/doctor/gemini_corpus.py")
    frames = sum(1 for _, where, _ in log.records if where != "close")
    closes = len(log.records) - frames
    per_close = 2 if name.endswith(".jsonl") and "bare" not in name else \
        0 if "bare" in name else 1
    assert diagnose(LOGS / name).events == frames + closes * per_close


def test_the_family_is_read_from_the_frames_in_every_format() -> None:
    formats = {diagnose(LOGS / name).format for name in EXPECTED}
    assert formats == {"voicechat JSONL event log", "JSONL of events",
                       "text log with inline events"}
    stats = ReadStats()
    entries = list(read_entries(LOGS / "gemini_clean_sdk_bare.jsonl", stats))
    # the SDK's snake_case outer keys read as the camelCase message, directions from the key
    assert entries[0].type == "gemini.setup" and entries[0].dir == "out"
    assert entries[1].type == "gemini.setupComplete" and entries[1].dir == "in"
    assert {e.type for e in entries if e.dir == "out"} == {"gemini.setup",
                                                           "gemini.realtimeInput"}
    assert "realtime_input" in entries[2].event and stats.gemini


def test_audio_never_reaches_a_report_or_replay() -> None:
    """A foreign log's base64 mic and model audio comes out as its size, as Realtime's does."""
    for entry in read_entries(LOGS / "gemini_tool_call_unanswered_bare.jsonl"):
        assert MIC_CHUNK not in json.dumps(entry.event)
        assert CHUNK_24K not in json.dumps(entry.event)
    mic = next(e for e in read_entries(LOGS / "gemini_clean_sdk_bare.jsonl")
               if e.type == "gemini.realtimeInput")
    assert mic.event["realtime_input"]["audio"]["data"] == {"bytes": 3200}


def test_json_names_the_family() -> None:
    data = diagnose(LOGS / "gemini_clean.jsonl").to_json()
    assert data["dialect"] == "gemini" and data["findings"] == []
    assert "Gemini Live" in data["latency"]["note"]


def test_realtime_logs_are_not_read_as_gemini(tmp_path: Path) -> None:
    """An app line about a close in a Realtime log stays an app line, and the family stays."""
    path = tmp_path / "realtime.log"
    realtime = (LOGS / "clean_ga_text_console.log").read_text()
    path.write_text(realtime + "[10:05:00.000] app.js:9 WebSocket closed 1011 server error\n")
    stats = ReadStats()
    assert all(not e.type.startswith("gemini.") for e in read_entries(path, stats))
    assert not stats.gemini
    assert diagnose(path).dialect == "ga"


# --- gemini-tool-call-unanswered --------------------------------------------------------------


def _tool_turn(log: GeminiLog) -> None:
    log.connect(tools=True)
    log.speak()
    log.answer("Weather in Rome?", "One moment.")
    log.hear(server.tool_call([("fc-1", "get_weather", {"city": "Rome"}),
                               ("fc-2", "get_weather", {"city": "Milan"})]))


def test_a_call_left_unanswered_among_answered_ones_is_named(tmp_path: Path) -> None:
    log = GeminiLog()
    _tool_turn(log)
    log.send(client.tool_response([("fc-1", "get_weather", {"sky": "clear"})]))
    log.speak(10)
    log.write_ours(tmp_path / "one.jsonl")
    evidence, fix = _finding(tmp_path / "one.jsonl", "gemini-tool-call-unanswered")
    assert "fc-2" in evidence and "fc-1" not in evidence and "s after it" in evidence
    assert "get_weather" in fix and "toolResponse" in fix


@pytest.mark.parametrize("snake", [False, True])
def test_calls_answered_late_or_in_the_sdk_spelling_are_quiet(tmp_path: Path,
                                                              snake: bool) -> None:
    log = GeminiLog(snake=snake)
    _tool_turn(log)
    log.wait(12.0)  # a slow tool is not an unanswered one
    log.send(client.tool_response([("fc-2", "get_weather", {}), ("fc-1", "get_weather", {})]))
    log.answer("", "Clear in Rome, rain in Milan.")
    log.write_bare(tmp_path / "late.jsonl")
    assert _rules(tmp_path / "late.jsonl") == set()


def test_a_cancelled_call_and_a_server_only_log_are_quiet(tmp_path: Path) -> None:
    log = GeminiLog()
    _tool_turn(log)
    log.send(client.tool_response([("fc-1", "get_weather", {})]))
    log.hear(server.tool_call_cancellation(["fc-2"]))
    log.write_ours(tmp_path / "cancelled.jsonl")
    assert _rules(tmp_path / "cancelled.jsonl") == set()

    server_only = tmp_path / "server_only.jsonl"
    lines = (LOGS / "gemini_tool_call_unanswered_bare.jsonl").read_text().splitlines()
    server_only.write_text("".join(line + "\n" for line in lines
                                   if not line.startswith(('{"setup"', '{"realtimeInput"'))))
    assert _rules(server_only) == set()  # what the app sent is not in the log


# --- gemini-go-away-not-resumed and gemini-resume-stale-handle ---------------------------------


def _until_go_away(log: GeminiLog, resumable: bool = True) -> None:
    log.connect(resumable=resumable)
    if resumable:
        log.resumption("h-1")
    log.speak()
    log.answer("Hi", "Hello!")
    if resumable:
        log.resumption("h-2")
    log.wait(500.0)
    log.hear(server.go_away(30))


def test_go_away_without_a_resuming_setup_is_found_in_our_records(tmp_path: Path) -> None:
    log = GeminiLog()
    _until_go_away(log)
    log.wait(30.0)
    log.close(close_codes.INTERNAL_ERROR, DEADLINE)
    log.write_ours(tmp_path / "ours.jsonl")
    evidence, fix = _finding(tmp_path / "ours.jsonl", "gemini-go-away-not-resumed")
    assert "timeLeft 30s" in evidence and "close 1011" in evidence and "30.0 s later" in evidence
    assert "never asked" not in evidence and "sessionResumption" in fix
    # the deadline close is this rule's, not a second finding
    assert _rules(tmp_path / "ours.jsonl") == {"gemini-go-away-not-resumed"}


def test_go_away_resumed_or_at_the_log_end_is_quiet(tmp_path: Path) -> None:
    resumed = GeminiLog()
    _until_go_away(resumed)
    resumed.wait(1.0)
    resumed.connect(handle="h-2")
    resumed.wait(29.0)
    resumed.close(close_codes.INTERNAL_ERROR, DEADLINE)  # the old socket's end, logged late
    resumed.write_prefixed(tmp_path / "resumed.log")
    assert _rules(tmp_path / "resumed.log") == set()

    cut = GeminiLog()
    _until_go_away(cut)
    cut.speak(3)  # the log ends before the connection does: nothing to say yet
    cut.write_prefixed(tmp_path / "cut.log")
    assert _rules(tmp_path / "cut.log") == set()


def test_resuming_with_no_handle_is_flagged_and_never_shows_a_handle(tmp_path: Path) -> None:
    log = GeminiLog()
    _until_go_away(log)
    log.wait(1.0)
    log.connect(resumable=True)  # sessionResumption: {} — a fresh session
    log.write_bare(tmp_path / "fresh.jsonl")
    evidence, _ = _finding(tmp_path / "fresh.jsonl", "gemini-resume-stale-handle")
    assert "no handle" in evidence and "h-1" not in evidence and "h-2" not in evidence
    stale, _ = _finding(LOGS / "gemini_stale_handle_bare.jsonl", "gemini-resume-stale-handle")
    assert "handle #1" in stale and "newest was #2" in stale and "h-aaa" not in stale


# --- gemini-closed-with-error -----------------------------------------------------------------


def test_close_codes_are_explained_with_their_cause(tmp_path: Path) -> None:
    evidence, fix = _finding(LOGS / "gemini_media_chunks_console.log", "gemini-closed-with-error")
    assert "closed 1007 (invalid payload data)" in evidence and "mediaChunks at t=" in evidence
    assert "realtimeInput.audio" in fix
    evidence, fix = _finding(LOGS / "gemini_not_a_live_model.log", "gemini-closed-with-error")
    assert "closed 1008 (policy violation)" in evidence and "Live model" in fix

    second = GeminiLog()
    second.connect()
    second.send(client.setup())
    second.close(close_codes.INVALID_PAYLOAD, "setup must be the first message and only once")
    second.write_ours(tmp_path / "second.jsonl")
    evidence, fix = _finding(tmp_path / "second.jsonl", "gemini-closed-with-error")
    assert "second setup" in evidence and fix.count("1007:") == 1  # notice + state: one close


def test_a_deadline_close_is_flagged_only_when_nothing_resumed_it(tmp_path: Path) -> None:
    lost = GeminiLog()
    lost.connect()
    lost.speak()
    lost.wait(600.0)
    lost.close(close_codes.INTERNAL_ERROR, DEADLINE)
    lost.write_console(tmp_path / "lost.log")
    evidence, fix = _finding(tmp_path / "lost.log", "gemini-closed-with-error")
    assert "closed 1011" in evidence and "end of its life" in evidence
    assert "did not resume" in evidence and "sessionResumption.handle" in fix
    lost.write_ours(tmp_path / "lost.jsonl")  # our client's notice: the reason, not its advice
    evidence, _ = _finding(tmp_path / "lost.jsonl", "gemini-closed-with-error")
    assert f'closed 1011 (internal error) "{DEADLINE}"; the connection' in evidence

    resumed = GeminiLog()
    resumed.connect()
    resumed.resumption("h-9")
    resumed.wait(600.0)
    resumed.close(close_codes.INTERNAL_ERROR, DEADLINE)
    resumed.wait(0.5)
    resumed.connect(handle="h-9")
    resumed.close(close_codes.NORMAL, "")  # the user hung up
    resumed.write_console(tmp_path / "resumed.log")
    assert _rules(tmp_path / "resumed.log") == set()


def test_a_refused_resumption_and_a_later_deadline_are_each_explained(tmp_path: Path) -> None:
    refused = GeminiLog()
    refused.connect()
    refused.resumption("h-1")
    refused.wait(300.0)
    refused.close(close_codes.INTERNAL_ERROR, "Internal error encountered.")
    refused.send(client.setup(resume_handle="h-0"))  # not the handle it was given
    refused.wait(0.2)
    refused.close(close_codes.INVALID_PAYLOAD, "Invalid session resumption handle.")
    refused.write_prefixed(tmp_path / "refused.log")
    evidence, fix = _finding(tmp_path / "refused.log", "gemini-closed-with-error")
    assert "closed 1007" in evidence and "resumed with a handle at t=" in evidence
    # the 1011 before it was answered by a resumption (that failed: the 1007 says why)
    assert "closed 1011" not in evidence and "newest sessionResumptionUpdate.newHandle" in fix

    twice = GeminiLog()  # a goAway's deadline, resumed; later a deadline with no goAway
    _until_go_away(twice)
    twice.wait(30.0)
    twice.close(close_codes.INTERNAL_ERROR, DEADLINE)
    twice.connect(handle="h-2")
    twice.wait(600.0)
    twice.close(close_codes.INTERNAL_ERROR, DEADLINE)
    twice.write_console(tmp_path / "twice.log")
    evidence, _ = _finding(tmp_path / "twice.log", "gemini-closed-with-error")
    assert evidence.count("closed 1011") == 1 and "t=1131." in evidence  # the second


# --- gemini-audio-rate-mismatch ----------------------------------------------------------------


@pytest.mark.parametrize(("declared", "chunk", "fires"), [
    (16000, CHUNK_24K, True),    # 24 kHz labelled 16 kHz
    (24000, MIC_CHUNK, True),    # the reverse
    (16000, MIC_CHUNK, False),   # right
    (24000, CHUNK_24K, False),   # right, at another declared rate
    (16000, FOUR_TIMES_16K, False),  # 4× real time: a file sent fast, not a capture rate
])
def test_the_audio_clock_against_the_declared_rate(tmp_path: Path, declared: int, chunk: str,
                                                   fires: bool) -> None:
    log = GeminiLog()
    log.connect()
    log.speak(70, rate=declared, chunk=chunk)
    log.write_ours(tmp_path / "mic.jsonl")
    assert _rules(tmp_path / "mic.jsonl") == ({"gemini-audio-rate-mismatch"} if fires else set())


def test_pauses_and_short_streams_do_not_count_as_another_rate(tmp_path: Path) -> None:
    ptt = GeminiLog()
    ptt.connect()
    for _ in range(8):  # push-to-talk: a second of speech, two of silence not sent
        ptt.speak(10)
        ptt.wait(2.0)
    ptt.write_ours(tmp_path / "ptt.jsonl")
    assert _rules(tmp_path / "ptt.jsonl") == set()

    short = GeminiLog()
    short.connect()
    short.speak(30, chunk=CHUNK_24K)  # 3 s: too short to be sure
    short.write_ours(tmp_path / "short.jsonl")
    assert _rules(tmp_path / "short.jsonl") == set()


# --- usage ------------------------------------------------------------------------------------


def test_empty_or_absent_usage_is_not_a_failure(tmp_path: Path) -> None:
    log = GeminiLog()
    log.connect()
    log.speak()
    log.answer("One", "Two", usage={})
    log.hear({"usageMetadata": {}})
    log.speak()
    log.hear(server.input_transcription("Three"))
    log.hear({"serverContent": {"turnComplete": True}})  # no usageMetadata at all
    log.write_bare(tmp_path / "usage.jsonl")
    assert _rules(tmp_path / "usage.jsonl") == set()
