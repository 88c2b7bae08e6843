"""The rule table: every rule fires on its corpus logs and on nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.doctor.corpus import BUILDERS, EXPECTED, LOGS
from tests.doctor.gemini_corpus import EXPECTED as GEMINI_EXPECTED
from tests.fixtures.live.make_logs import EXPECTED as LIVE_EXPECTED
from voicechat.doctor import RULE_IDS, diagnose

ISSUE_RULE_IDS = {
    "invalid-session-param", "dialect-mismatch", "mic-not-resumed", "short-speech-segments",
    "transcription-off-or-empty", "client-cancelled-response", "self-interruption",
    "concurrent-response", "cancel-without-response", "commit-too-small",
    "truncate-out-of-range", "transcription-failed", "session-expired", "rate-limited",
    "server-silent",  # issue 14: a dead link the client did not notice
    "silent-start",  # issue 40: waiting for xAI's session.created, which never came
    # issue 27: how tool turns fail
    "tool-output-without-response", "tool-call-unanswered", "tool-output-unknown-call",
    "stale-tool-response", "mcp-approval-unanswered",
    # issue 31: GPT-Live's pitfalls (their logs: tests/fixtures/live/, checked by
    # tests/doctor/test_live_rules.py)
    "live-first-event-not-session-start", "live-unknown-config-field",
    "live-mic-paused-while-speaking", "live-append-over-limit",
    "live-client-delegation-unanswered",
    # issue 36: speech that runs to the end of the app's audio is never ended by server VAD
    "speech-never-ended",
    # issue 37: refusals a retry will not change (gateways, the retired beta)
    "retired-beta", "gateway-refusal", "silent-close",
    # issue 37: the language of the conversation (Chinese-speaking users through gateways)
    "transcription-language", "transcript-hallucination", "reply-language",
    # issue 39: why is it slow
    "slow-first-audio",
    # issue 40: Gemini Live's failures (their logs: tests/doctor/gemini_corpus.py, checked by
    # tests/doctor/test_gemini_rules.py)
    "gemini-tool-call-unanswered", "gemini-go-away-not-resumed", "gemini-resume-stale-handle",
    "gemini-closed-with-error", "gemini-audio-rate-mismatch",
}


def test_rule_ids_are_exactly_the_issues() -> None:
    """Every rule the issues asked for, and no other: the doctor issue's fourteen, plus the
    rules later issues added (each noted above with its issue)."""
    assert set(RULE_IDS) == ISSUE_RULE_IDS
    assert len(RULE_IDS) == len(ISSUE_RULE_IDS)


def test_every_rule_has_a_log_and_every_format_is_covered() -> None:
    fired = set().union(*EXPECTED.values(), *LIVE_EXPECTED.values(), *GEMINI_EXPECTED.values())
    assert fired == ISSUE_RULE_IDS
    formats = {diagnose(LOGS / name).format for name in EXPECTED}
    assert formats == {"voicechat JSONL event log", "JSONL of events", "JSON array of events",
                       "text log with inline events"}
    dialects = {diagnose(LOGS / name).dialect for name in EXPECTED}
    assert dialects == {"ga", "beta"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rules_fire_exactly_on_their_logs(name: str) -> None:
    report = diagnose(LOGS / name)
    assert {f.rule for f in report.findings} == EXPECTED[name]
    assert report.unreadable == 0  # a rule raising on our own logs is the rule's bug
    for finding in report.findings:
        assert finding.count >= 1 and finding.evidence and finding.fix.strip()
        assert finding.title


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_committed_logs_match_their_builders(name: str, tmp_path: Path) -> None:
    """The files are what corpus.py writes, and the doctor reads every event in them."""
    log = BUILDERS[name](tmp_path / name)
    assert (tmp_path / name).read_bytes() == (LOGS / name).read_bytes(), (
        "regenerate with: .venv/bin/python tests/doctor/corpus.py")
    report = diagnose(LOGS / name)
    assert report.events == len(log.records)
    assert report.torn_last_line == (name == "clean_torn_last_line.jsonl")


def _finding(name: str, rule: str) -> tuple[str, str]:
    report = diagnose(LOGS / name)
    finding = next(f for f in report.findings if f.rule == rule)
    evidence = "\n".join(e.detail for e in finding.evidence)
    return evidence, finding.fix


def test_evidence_and_fixes_quote_the_log() -> None:
    evidence, fix = _finding("short_segments_ga_bare.jsonl", "short-speech-segments")
    assert "item_U1: 180 ms" in evidence and "item_U3: 260 ms" in evidence
    assert "threshold 0.3" in fix and "silence_duration_ms 120" in fix
    snippet = json.loads(re.search(r"(\{\"type\": \"session.update\".*?\}\}\}\}\})", fix)[1])
    assert snippet["session"]["audio"]["input"]["turn_detection"]["threshold"] > 0.3

    evidence, fix = _finding("invalid_param_ga.jsonl", "invalid-session-param")
    assert "max_speech_ms = 1200" in evidence and 'format = "pcm16"' in evidence
    assert '{"type": "audio/pcm", "rate": 24000}' in fix and "max_speech_ms" in fix

    evidence, fix = _finding("dialect_beta_client_ga_server.log", "dialect-mismatch")
    assert "modalities" in evidence and "modalities → output_modalities" in fix

    evidence, fix = _finding("dialect_ga_client_beta_server.json", "dialect-mismatch")
    assert "session.type" in evidence and "beta" in fix

    evidence, _ = _finding("mic_stuck_webrtc.jsonl", "mic-not-resumed")
    assert "output_audio_buffer.stopped" in evidence and "reason playback" in evidence

    evidence, fix = _finding("transcription_off_beta.log", "transcription-off-or-empty")
    assert "item_U1" in evidence and "item_U2" in evidence
    assert "input_audio_transcription" in fix  # written in the beta shape

    evidence, fix = _finding("transcription_failed_ga.jsonl", "transcription-failed")
    assert "my-transcribe-deployment" in fix

    evidence, _ = _finding("client_cancel_ga.jsonl", "client-cancelled-response")
    assert "response.cancel" in evidence and "session.update" in evidence

    evidence, _ = _finding("self_interruption_webrtc_logcat.txt", "self-interruption")
    assert "+320 ms" in evidence and "output_audio_buffer.cleared" in evidence

    evidence, fix = _finding("concurrent_response_beta_bare.jsonl", "concurrent-response")
    assert "resp_1" in evidence and "create_response" in fix

    evidence, _ = _finding("cancel_without_response_ga.jsonl", "cancel-without-response")
    assert "resp_1" in evidence

    evidence, _ = _finding("commit_too_small_beta_ptt.json", "commit-too-small")
    assert "40.00 ms" in evidence

    _, fix = _finding("truncate_out_of_range_ga_console.log", "truncate-out-of-range")
    assert "at most 3200 ms (sent 5200)" in fix

    _, fix = _finding("rate_limited_ga_bare.jsonl", "rate-limited")
    assert "30 s" in fix
