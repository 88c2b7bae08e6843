"""The engine gives rules a log's bulk (appends out, output deltas in) as runs
(``Rule.feed_run``): that must change no report against feeding entry by entry, on the corpus
and on any log, with runs of every shape (mixed types, wrong directions, times that go back,
ids that change mid-run, hostile lines between them)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.doctor.corpus import EXPECTED, LOGS
from tests.doctor.gemini_corpus import EXPECTED as GEMINI_EXPECTED
from tests.doctor.logstrategy import lines
from voicechat.doctor import engine
from voicechat.doctor.rules.base import BULK_TYPES
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import ReadStats, read_stream
from voicechat.eventlog.run import Run


class _OneByOne(engine.RuleEngine):
    """The engine as the live views drive it: :meth:`feed`, one entry at a time."""

    def feed_all(self, entries: Iterable[Entry | Run]) -> None:
        for entry in entries:
            assert isinstance(entry, Entry)  # read without runs
            self.feed(entry)


def _fed(path: Path, one_by_one: bool) -> tuple[dict[str, Any], list[Any]]:
    """The report, and the context's and every rule's state before the end-of-log verdicts
    (the state, not only the findings: most logs end without a finding). In runs: as
    :func:`engine.diagnose` reads (runs gathered by the reader, and by the engine from
    entries); else entry by entry through :meth:`RuleEngine.feed`."""
    stats = ReadStats()
    rules = _OneByOne(stats.tracker) if one_by_one else engine.RuleEngine(stats.tracker)
    rules.feed_all(read_stream(path, stats, wanted=rules.wants,
                               runs=None if one_by_one else BULK_TYPES))
    state = [vars(rules.context)] + [vars(rule) for rule in rules.rules]
    state = json.loads(json.dumps(state, default=_plain))  # a snapshot: conclude() moves it
    report = engine.diagnose_entries([], stats, str(path), rules).to_json()
    return report, state


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set | frozenset) else repr(value)


def _reports(path: Path) -> tuple[Any, Any]:
    runs = _fed(path, one_by_one=False)
    assert runs[0] == engine.diagnose(path).to_json()
    return runs, _fed(path, one_by_one=True)


@pytest.mark.parametrize("name", sorted(EXPECTED | GEMINI_EXPECTED))
def test_corpus_reports_are_the_same_fed_in_runs_and_entry_by_entry(name: str) -> None:
    runs, by_entry = _reports(LOGS / name)
    assert runs == by_entry


_BULK = sorted(BULK_TYPES["in"] | BULK_TYPES["out"])
_RIDS = st.sampled_from(["resp_1", "resp_2", None])
_HOSTILE = [
    b'{"t":1.0,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta",'
    b'"response_id":"resp_\\"1","delta":"say \\"hi\\""}}',
    b'{"meta":{"type":"response.done"},"t":1.0,"dir":"out","ts":"x",'
    b'"event":{"type":"input_audio_buffer.append","audio":"sk-abcdefghijklmnop"}}',
    b'{"t":1.0,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta"}}\r',
    b'{"t":1.0,"ts":"x","dir":"out","event":{"type":"input_audio_buffer.append",'
    b'"audio":{"bytes":4800}}',
    b'{"t":1.0,"ts":"\xff\xfe","dir":"in","event":{"type":"response.output_text.delta",'
    b'"response_id":"resp_1","delta":"\xc3"}}',
    b"", b"   ", b"not json at all",
    b'{"t":null,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta",'
    b'"response_id":"resp_2"}}',
]


@st.composite
def _burst(draw: st.DrawFn, t: float) -> list[bytes]:
    """A run of bulk events, mostly in the direction the engine gathers, sometimes not."""
    out = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(_BULK))
        usual = "out" if kind == "input_audio_buffer.append" else "in"
        direction = draw(st.sampled_from([usual] * 8 + ["in", "out", "local"]))
        event: dict[str, Any] = {"type": kind}
        if kind == "input_audio_buffer.append":
            event["audio"] = draw(st.sampled_from([{"bytes": 4800}, "QUJD", "sk-abcdefghijklmn"]))
            if draw(st.booleans()):
                event["event_id"] = draw(st.sampled_from(["evt_1", "evt_2", "evt_3"]))
        else:
            rid = draw(_RIDS)
            if rid is not None:
                event["response_id"] = rid
            event["delta"] = draw(st.sampled_from(["word ", "AAAA", "Bearer abcdefghijk"]))
        step = draw(st.sampled_from([0.0, 0.02, 0.1, 6.0, -0.5, -20.0]))
        t = round(max(0.0, t + step), 3)
        stamp = draw(st.sampled_from([t, None]))
        record: dict[str, Any] = {"t": stamp, "ts": "2026-11-21T10:00:00.000Z",
                                  "dir": direction, "event": event}
        out.append(json.dumps(record, separators=(",", ":")).encode())
    return out


@st.composite
def _anchor(draw: st.DrawFn, t: float) -> bytes:
    """An event the bulk's readers key on: responses opening and closing, playback starting
    and stopping, the mic muted, speech, the link lost."""
    rid = draw(st.sampled_from(["resp_1", "resp_2"]))
    event, direction = draw(st.sampled_from([
        ({"type": "response.created", "response": {"id": rid}}, "in"),
        ({"type": "response.done", "response": {"id": rid, "status": "completed"}}, "in"),
        ({"type": "response.done", "response": {"id": rid, "status": "cancelled",
                                                "status_details": {"reason": "client_cancelled"}}},
         "in"),
        ({"type": "output_audio_buffer.started", "response_id": rid}, "in"),
        ({"type": "output_audio_buffer.stopped", "response_id": rid}, "in"),
        ({"type": "input_audio_buffer.speech_started", "item_id": "item_1"}, "in"),
        ({"type": "response.cancel"}, "out"),
        ({"type": "local.mic.muted", "reason": "playback"}, "local"),
        ({"type": "local.mic.unmuted"}, "local"),
        ({"type": "local.playback.started"}, "local"),
        ({"type": "local.playback.drained"}, "local"),
        ({"type": "local.transport.state", "state": "failed", "detail": "ice"}, "local"),
    ]))
    return json.dumps({"t": t, "ts": "2026-11-21T10:00:00.000Z", "dir": direction,
                       "event": event}, separators=(",", ":")).encode()


@st.composite
def _logs(draw: st.DrawFn) -> bytes:
    """A log of bursts of bulk events between other lines (of any shape) and hostile ones."""
    out: list[bytes] = []
    t = 0.0
    for _ in range(draw(st.integers(0, 25))):
        t += draw(st.sampled_from([0.0, 0.5, 3.0, 12.0]))
        pick = draw(st.sampled_from(["burst"] * 4 + ["anchor"] * 3 + ["line"] * 2
                                    + ["hostile"]))
        if pick == "burst":
            out.extend(draw(_burst(t)))
        elif pick == "anchor":
            out.append(draw(_anchor(round(t, 3))))
        elif pick == "line":
            out.append(draw(lines(round(t, 3))).encode())
        else:
            out.append(draw(st.sampled_from(_HOSTILE)))
    if draw(st.booleans()):
        out.append(b'{"t":99.0,"dir":"local","event":{"type":"local.transport.state",'
                   b'"state":"failed","detail":"ice"}}'.replace(b'"dir"', b'"ts":"x","dir"'))
    return b"\n".join(out) + draw(st.sampled_from([b"\n", b"\r\n", b""]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs())
def test_any_log_gives_the_same_report_fed_in_runs_and_entry_by_entry(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(data)
        runs, by_entry = _reports(path)
    assert runs == by_entry


def test_a_server_silence_under_a_run_of_appends_is_found_either_way(tmp_path: Path) -> None:
    """The run's effect is real, not a no-op both ways: the mic kept sending for 12 s after
    the server's last event, then the link was lost."""
    rows = ['{"t":0.0,"ts":"x","dir":"in","event":{"type":"session.created","session":{}}}']
    rows += [f'{{"t":{1 + k * 0.1:.1f},"ts":"x","dir":"out","event":{{'
             f'"type":"input_audio_buffer.append","audio":{{"bytes":4800}}}}}}'
             for k in range(120)]
    rows.append('{"t":13.5,"ts":"x","dir":"local","event":{"type":"local.transport.state",'
                '"state":"failed","detail":"ice"}}')
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runs, by_entry = _reports(path)
    assert runs == by_entry
    assert [f["rule"] for f in runs[0]["findings"]] == ["server-silent"]


def _flat(path: Path, runs: bool) -> tuple[list[Entry], tuple[Any, ...], int]:
    stats = ReadStats()
    wants = engine.RuleEngine(stats.tracker).wants
    flat: list[Entry] = []
    gathered = 0
    for got in read_stream(path, stats, wanted=wants, runs=BULK_TYPES if runs else None):
        if isinstance(got, Run):
            gathered += 1
            assert got.items and {e.dir for e in got.entries()} == {got.dir}
            flat.extend(got.entries())
        else:
            flat.append(got)
    return flat, (stats.lines, stats.events, stats.skipped_lines, stats.torn_last_line,
                  stats.oversized_lines, stats.kinds, stats.tracker.server,
                  stats.tracker.server_evidence), gathered


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs())
def test_the_reader_s_runs_hold_exactly_the_entries_it_reads_one_by_one(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(data)
        runs, runs_stats, _ = _flat(path, runs=True)
        one, one_stats, gathered = _flat(path, runs=False)
    assert gathered == 0
    assert runs == one and runs_stats == one_stats


def test_a_voicechat_log_s_appends_and_deltas_come_as_runs(tmp_path: Path) -> None:
    """What the runs are for: in our own log the bulk arrives gathered, not entry by entry."""
    path = tmp_path / "log.jsonl"
    path.write_bytes((LOGS / "clean_ga_websocket.jsonl").read_bytes())
    entries, _, gathered = _flat(path, runs=True)
    assert gathered > 0
    assert entries == _flat(path, runs=False)[0]


def test_a_tie_between_formats_is_decided_as_entry_by_entry(tmp_path: Path) -> None:
    """The format is the kind most events had, the first seen on a tie: a record gathered into
    a run counts from the moment it is read, not when its run is handed on."""
    path = tmp_path / "log.jsonl"
    path.write_bytes(
        b'{"t":1.0,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta",'
        b'"response_id":"r","delta":"say"}}\n'
        b'{"type":"response.created","response":{"id":"r"}}\n')
    runs, by_entry = _reports(path)
    assert runs == by_entry
    assert runs[0]["format"] == "voicechat JSONL event log"


def test_reading_ahead_never_shows_a_rule_a_dialect_decided_after_its_entry(
        tmp_path: Path) -> None:
    """The engine reads ahead in batches (``engine._read_ahead``): a beta-shaped client event
    read before anything decided the server's dialect must meet the rules undecided, as it
    does entry by entry, even though the GA-only delta that decides it is a few lines on."""
    append = ('{"t":0.0,"ts":"x","dir":"out","event":{"type":"input_audio_buffer.append",'
              '"audio":{"bytes":4800}}}')
    rows = ['{"type": "transcription_session.update"}', *[append] * 10,
            '{"t":1.0,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta",'
            '"response_id":"resp_1","delta":"hi"}}']
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runs, by_entry = _reports(path)
    assert runs == by_entry
