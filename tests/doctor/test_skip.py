"""The doctor stubs event types nothing reads (``read_entries(wanted=...)``): that must change
no report, on the corpus and on any log."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.doctor.corpus import EXPECTED, LOGS
from tests.doctor.gemini_corpus import EXPECTED as GEMINI_EXPECTED
from tests.doctor.logstrategy import logs
from voicechat.doctor import engine
from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.reader import ReadStats, read_entries


def _unskipped(path: Path) -> dict[str, Any]:
    stats = ReadStats()
    return engine.diagnose_entries(read_entries(path, stats), stats, str(path)).to_json()


@pytest.mark.parametrize("name", sorted(EXPECTED | GEMINI_EXPECTED))
def test_corpus_reports_are_the_same_with_and_without_stubs(name: str) -> None:
    assert engine.diagnose(LOGS / name).to_json() == _unskipped(LOGS / name)


def test_the_bulk_of_a_log_is_stubbed_and_what_rules_read_whole_arrives_whole() -> None:
    """What the stubs are for: appends and deltas (a log's bulk) come as stubs of what rules
    read of them, the types rules read whole still arrive whole."""
    stats = ReadStats()
    rules = engine.RuleEngine(stats.tracker)
    entries = list(read_entries(LOGS / "clean_ga_websocket.jsonl", stats, wanted=rules.wants))
    whole = list(read_entries(LOGS / "clean_ga_websocket.jsonl"))
    assert [(e.index, e.line, e.t, e.dir, e.type) for e in entries] == [
        (e.index, e.line, e.t, e.dir, e.type) for e in whole]
    stubbed = [e for e, w in zip(entries, whole, strict=True) if e.event != w.event]
    assert stubbed and all(rules.wants(e.type) is not True for e in stubbed)
    assert all(e.event == {"type": e.event["type"]} for e in stubbed
               if e.dir == "in" and not rules.wants(e.type))
    kinds = {e.type for e in stubbed}
    assert {"response.output_audio.delta", "response.output_audio_transcript.delta"} <= kinds
    assert all(e.event == w.event for e, w in zip(entries, whole, strict=True)
               if rules.wants(e.type) is True)
    deltas = [e for e in stubbed if e.type == "response.output_audio.delta"]
    assert all(set(e.event) == {"type", "response_id"} for e in deltas)
    assert any(e.type == "input_audio_buffer.append" for e in whole)



#: What the rules read of a user's turn and of a reply's done event (their ``reads``).
_TURN_STUBS = {
    "input_audio_buffer.speech_started": {"type", "item_id", "audio_start_ms"},
    "input_audio_buffer.speech_stopped": {"type", "item_id", "audio_end_ms"},
    "input_audio_buffer.committed": {"type", "item_id"},
    "conversation.item.input_audio_transcription.completed": {"type", "item_id", "transcript"},
    "response.output_audio_transcript.done": {"type", "transcript"},
}


def test_a_turn_s_events_come_as_stubs_of_the_fields_rules_read() -> None:
    """Issue 55: the events of each user turn and each reply's done event were read whole
    (the redaction check, the dialect mapping of every id) because some rule reading them
    declared nothing; every reader declares its fields now, so they come as stubs of those."""
    stats = ReadStats()
    rules = engine.RuleEngine(stats.tracker)
    entries = list(read_entries(LOGS / "clean_ga_websocket.jsonl", stats, wanted=rules.wants))
    whole = {e.index: e for e in read_entries(LOGS / "clean_ga_websocket.jsonl")}
    turn = [e for e in entries if e.type in _TURN_STUBS]
    assert {e.type for e in turn} == set(_TURN_STUBS)
    for entry in turn:
        assert set(entry.event) == _TURN_STUBS[entry.type], entry.type
        assert entry.event == {name: whole[entry.index].event[name] for name in entry.event}

def _assert_stubs_are_exact(text: str) -> None:
    """Every stub holds exactly what its readers read, as the whole read gives it, and no
    payload: a server event only its type and declared scalar fields; a client event (which
    an error may name by id and a rule then read any field of) everything, redacted."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_text(text, encoding="utf-8")
        stats = ReadStats()
        rules = engine.RuleEngine(stats.tracker)
        entries = list(read_entries(path, stats, wanted=rules.wants))
        whole = list(read_entries(path))
    assert len(entries) == len(whole)
    # A stub's canonical form (looked up by type and direction on the fast path) is what the
    # dialect tracker's mapping gives, the stream replayed in order; the dialect decided too.
    replay = DialectTracker()
    for entry in entries:
        assert entry.canonical == replay.canonical(entry.event, entry.dir)
    assert (replay.server, replay.server_evidence) == (stats.tracker.server,
                                                       stats.tracker.server_evidence)
    for entry, full in zip(entries, whole, strict=True):
        assert (entry.index, entry.line, entry.t, entry.ts, entry.dir, entry.type) == (
            full.index, full.line, full.t, full.ts, full.dir, full.type)
        wants = rules.wants(entry.type)
        if wants is True or entry.event == full.event:
            assert entry.event == full.event and entry.canonical == full.canonical
            continue
        assert "delta" not in entry.event
        assert not isinstance(entry.event.get("audio"), str)
        if entry.dir == "in":
            fields = set(wants) | {"type", "event_id"}
            assert set(entry.event) <= fields
            assert set(entry.canonical) <= fields
            for name in set(wants) | {"type"}:
                assert entry.canonical.get(name) == full.canonical.get(name)
        else:
            assert entry.event == full.event and entry.canonical == full.canonical


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_any_log_gives_the_same_report_with_and_without_stubs(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_text(text, encoding="utf-8")
        assert engine.diagnose(path).to_json() == _unskipped(path)


def test_an_error_still_finds_the_stubbed_client_event_it_answers(tmp_path: Path) -> None:
    """A stub keeps a client event's ``event_id``: errors name the client event by it."""
    lines = [
        '{"t":0.0,"ts":"2026-11-21T10:00:00.000Z","dir":"in","event":{"type":"response.created",'
        '"response":{"id":"resp_1"}}}',
        '{"t":0.1,"ts":"2026-11-21T10:00:00.100Z","dir":"out","event":{"type":"response.create",'
        '"event_id":"evt_A"}}',
        '{"t":0.2,"ts":"2026-11-21T10:00:00.200Z","dir":"out","event":{"type":"response.content_part.added",'
        '"event_id":"evt_B"}}',
        '{"t":0.3,"ts":"2026-11-21T10:00:00.300Z","dir":"in","event":{"type":"error","error":{'
        '"type":"invalid_request_error","code":"conversation_already_has_active_response",'
        '"message":"already has an active response resp_1","event_id":"evt_B"}}}',
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = engine.diagnose(path).to_json()
    assert report == _unskipped(path)
    assert "t=0.200s" in str(report["findings"])  # located by the stub's id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_any_stub_holds_exactly_what_its_readers_read_and_no_payload(text: str) -> None:
    _assert_stubs_are_exact(text)


def test_a_client_append_stub_is_the_whole_redacted_append() -> None:
    """An error may answer an append by id and name its ``audio`` param: the stub of an append
    is what redaction makes of it (audio as its size, never the payload)."""
    record = ('{"t":0.0,"ts":"2026-11-21T10:00:00.000Z","dir":"out","event":{'
              '"type":"input_audio_buffer.append","event_id":"evt_1","audio":"%s"}}')
    _assert_stubs_are_exact(record % ("QUJD" * 300) + "\n" + record.replace("evt_1", "evt_2")
                            % "sk-abcdefghijklmnop" + "\n")
