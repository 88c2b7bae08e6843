"""Events whose fields have types no real event has (a foreign or hand-edited log, a server
gone wrong): the doctor, replay's lines and export read on, and the doctor says what it
skipped. Found by mutating the corpus's logs; each crash site once raised a traceback."""

from __future__ import annotations

import io
import json
import random
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicechat.commands import doctor, replay
from voicechat.conversation import ConversationError, load_conversation
from voicechat.conversation.render import render
from voicechat.doctor import diagnose, render_json, render_text
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer

LOGS = Path(__file__).resolve().parent / "logs"
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realtime"

#: An infinite audio offset: ``int()`` of it raised OverflowError in the VAD rule.
INFINITE_START = ('{"type": "input_audio_buffer.speech_started", "item_id": "item_9", '
                  '"audio_start_ms": Infinity}')


def test_a_rule_that_cannot_read_an_event_skips_it_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "edited.jsonl"
    log.write_text(INFINITE_START + "\n" + (LOGS / "rate_limited_ga_bare.jsonl").read_text())
    assert doctor.run(log, json_output=False) == 1
    out = capsys.readouterr().out
    assert "[rate-limited]" in out  # the rest of the log is still diagnosed
    assert "1 time(s) a rule skipped an event whose fields had unexpected types (first: " \
           "line 1, input_audio_buffer.speech_started)" in out
    assert doctor.run(log, json_output=True) == 1
    assert json.loads(capsys.readouterr().out)["unreadable"] == 1


def test_a_clean_log_reports_nothing_unreadable(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(LOGS / "clean_ga_websocket.jsonl", json_output=True) == 0
    assert json.loads(capsys.readouterr().out)["unreadable"] == 0


def test_a_replay_line_of_an_unreadable_event_says_so() -> None:
    event = {"type": "conversation.item.added", "item": {"id": "item_1", "role": "user",
                                                         "content": 5.0}}
    line = Summarizer().line(LogRecord(t=1.0, ts="", dir="in", event=event))
    assert "conversation.item.added (fields of unexpected types)" in line


def test_a_beta_part_whose_type_is_a_list_is_exported(tmp_path: Path) -> None:
    # the beta-to-GA mapping looked the list up in a dict: TypeError, unhashable type
    log = tmp_path / "beta.jsonl"
    odd = {"type": "conversation.item.created", "item": {
        "id": "item_x", "type": "message", "role": "assistant",
        "content": [{"type": ["audio"], "transcript": "?"}]}}
    log.write_text((LOGS / "clean_beta_websocket_bare.jsonl").read_text() + json.dumps(odd)
                   + "\n")
    assert load_conversation(log).turns


_WEIRD = [None, 5, -1, 1e308, float("inf"), "", [], {}, [None], {"a": 1}, True, "\x1b[2J",
          10**30]
_CORPUS = sorted(LOGS.glob("*.jsonl")) + sorted(REAL.glob("*.jsonl"))


def _mutated(value: object, rng: random.Random) -> object:
    if isinstance(value, dict):
        return {k: rng.choice(_WEIRD) if rng.random() < 0.15 else _mutated(v, rng)
                for k, v in value.items()}
    if isinstance(value, list):
        return [rng.choice(_WEIRD) if rng.random() < 0.15 else _mutated(v, rng) for v in value]
    return value


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_CORPUS), st.integers(min_value=0, max_value=2**32))
def test_no_field_of_any_type_ends_a_read(tmp_path_factory: pytest.TempPathFactory,
                                          source: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for text in source.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("event"), dict):
            record["event"] = _mutated(record["event"], rng)
        else:
            record = _mutated(record, rng)
        lines.append(json.dumps(record))
    log = tmp_path_factory.mktemp("mutated") / source.name
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = diagnose(log)
    text = render_text(report)
    assert ("skipped an event whose fields" in text) == (report.unreadable > 0)
    json.loads(render_json(report))
    with redirect_stdout(io.StringIO()):
        replay.run(log, speed=1e9, no_ui=True)
    try:
        conversation = load_conversation(log)
    except ConversationError:
        return
    for fmt in ("md", "txt", "json"):
        render(conversation, fmt)


def test_a_lone_surrogate_reaches_every_output_escaped(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = (LOGS / "invalid_param_ga.jsonl").read_text(encoding="utf-8")
    log = tmp_path / "odd.jsonl"
    log.write_text(text.replace("max_speech_ms", "max_\\udfff"), encoding="utf-8")
    assert doctor.run(log, json_output=False) == 1
    assert "max_\\udfff" in capsys.readouterr().out
    assert doctor.run(log, json_output=True) == 1
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert "max_\udfff" in json.dumps(json.loads(out), ensure_ascii=False)
    line = Summarizer().line(LogRecord(t=0.0, ts="", dir="in", event={
        "type": "response.output_text.delta", "delta": "a\ud800b"}))
    assert "a\\ud800b" in line
