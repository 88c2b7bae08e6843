"""Logs apps write (bare events one per line, text logs with events inline) take the line
reader's own paths: :meth:`Builder.inline` for a bare event or a text line's whole rest, and
``lines._gather_bare`` / ``lines._gather_text`` for the next lines of a run. Each must give
exactly what the whole way gives (``unwrap``, the text scanner, :meth:`Builder.entry`): the same
entries in the same order, numbered, timed and counted the same, and the same doctor report,
whatever the lines hold."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicechat.doctor import engine as doctor_engine
from voicechat.doctor.engine import RuleEngine
from voicechat.doctor.rules.base import BULK_TYPES
from voicechat.eventlog import lines
from voicechat.eventlog.builder import Builder
from voicechat.eventlog.reader import ReadStats, read_stream
from voicechat.eventlog.run import Run

_CAP = 400  # MAX_LINE_CHARS while testing: the long lines below reach it


def _bare(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


_DELTA = {"type": "response.output_audio_transcript.delta", "event_id": "event_1",
          "response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0,
          "delta": " sunny", "obfuscation": "AbCdEf"}
_TEXT_DELTA = {**_DELTA, "type": "response.output_text.delta", "response_id": "resp_2"}
_BETA_DELTA = {**_DELTA, "type": "response.audio_transcript.delta"}
_AUDIO = {"type": "response.output_audio.delta", "response_id": "resp_1", "delta": "QUJDRA=="}
_ARGS = {"type": "response.function_call_arguments.delta", "response_id": "resp_1",
         "call_id": "call_1", "delta": '{"a":'}
_APPEND = {"type": "input_audio_buffer.append", "audio": "QUJDRA=="}
_EVENTS = [
    _DELTA, _TEXT_DELTA, _BETA_DELTA, _AUDIO, _APPEND, _ARGS,
    {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
    {"type": "response.done", "response": {"id": "resp_1", "status": "completed",
                                           "output": []}},
    {"type": "conversation.item.added", "item": {"id": "item_1", "type": "message"}},
    {"type": "conversation.item.created", "item": {"id": "item_1", "object": "realtime.item"}},
    {"type": "rate_limits.updated", "rate_limits": [{"name": "tokens", "remaining": 9}]},
    {"type": "input_audio_buffer.speech_started", "audio_start_ms": 10, "item_id": "item_2"},
    {"type": "output_audio_buffer.started", "response_id": "resp_1"},
    {"type": "session.created", "session": {"modalities": ["audio"], "voice": "alloy"}},
    {"type": "session.created", "session": {"type": "realtime", "audio": {}}},
    {"type": "response.create"}, {"type": "response.cancel", "event_id": "evt_9"},
    {"type": "error", "error": {"message": "boom", "event_id": "evt_9"}},
    {**_DELTA, "response_id": "sk-abcdefghijklmnop1234"},  # redacted in a stub
    {**_DELTA, "delta": "Bearer abcdefghijklmnopqrstuvwxyz"},  # a secret in a payload
    {**_DELTA, "response_id": {"id": "resp_1"}},  # a stub refuses an object
    {**_DELTA, "response_id": 12345678901234567890123},  # past 64 bits: the stdlib decides
    {**_DELTA, "output_index": 12345678901234567890123},  # the same, where no stub looks
    {**_DELTA, "type": ["x"]}, {**_DELTA, "type": "not.an_event"}, {"delta": "x"},
    {"type": "local.mic.muted"}, {"type": "response.output_audio.delta", "delta": {"b": 1}},
    {**_BETA_DELTA, "response_id": {"id": "resp_1"}},  # a beta name whose stub is refused
]
_JSON = [_bare(event) for event in _EVENTS]
_PREFIXES = [
    b"11-21 10:00:00.123  4321  4390 D RealtimeClient: << ",
    b"11-21 10:00:01.5  4321  4390 D RealtimeClient: >> ",
    b"11-21 10:00:02.250000  4321  4391 I App: ",
    b"11-21 10:00:02.2500001-11-21T10:00:00 x ",  # a 7th digit: an ISO stamp may follow
    b"13-45 25:61:61.000  1  2 D Bad: ",  # names no time: the next form reads it
    b"[10:00:03.250] realtime.js:88 received ",
    b"[10:00:04] realtime.js:88 sent ",  # a clock without a fraction
    b"[25:00:04.100] bad clock ",
    b"2026-11-21T10:00:05.500Z INFO ws ",  # ISO
    b"2026-11-21 10:00:06,250+02:00 ",
    b"[   0.210] server: ",  # seconds since the start
    b"no stamp here: ",
    "\u0661\u0661-\u0662\u0661 10:00:07.000 D X: ".encode(),  # other digits: not ASCII
    b"11-21 10:00:08.000 \xff\xfe D X: ",  # not UTF-8
    b"  ",  # blank: a JSON line
    b"11-21 10:00:09.000  4321  4390 D Tag {brace}: ",
]
_OTHER = [
    b"11-21 10:00:09.900  4321  4391 I AudioTrack: flush pending frames",
    b"Navigated to http://localhost:5173/", b"", b"   ", b"\x0c",
    b" \x1c\x1f ", "\u00a0 ".encode(),  # blank to str.strip(), not to bytes.strip()
    "11-21 10:00:14.500  1 2 I App: caf\u00e9 \u2028".encode(),  # an app line, not ASCII
    b"11-21 10:00:15.250  1 2 I App: \xff still going",  # not UTF-8
    b"11-21 10:00:59.000  1 2 I App: still here",  # the log's timeline runs on
    b"11-21 10:00:10.000  1 2 D X: << {\"type\":\"response.created\",",  # opens a multi-line
    b'  "response": {"id": "resp_3"}}', b"}", b"{", b"[1, 2]", b"null",
    b"11-21 10:00:11.000  1 2 D X: << " + _JSON[0] + b" and more text",
    b"11-21 10:00:12.000  1 2 D X: << " + _JSON[0] + "\u00a0".encode(),  # Unicode space
    b"11-21 10:00:12.000  1 2 D X: << " + _JSON[0] + b"\x1c",  # str.strip() takes it
    b"11-21 10:00:13.000  1 2 D X: << " + _bare({**_DELTA, "delta": "A" * 400}),  # over cap
    _JSON[0][:30],  # torn
    _JSON[0] + b" " * _CAP,  # over the cap, though the cap's worth is an event
    _JSON[0].replace(b',"response_id"', b',\r"response_id"'),  # a \r text reading splits at
    json.dumps({"t": 1.5, "ts": "2026-11-21T10:00:01.250Z", "dir": "in",
                "event": {k: v for k, v in _DELTA.items() if k != "obfuscation"}}).encode(),
    json.dumps({"direction": "server", "data": _DELTA}).encode(),  # a wrapper
    *(json.dumps({"t": 2.5, "ts": "2026-11-21T10:00:02.500Z", "dir": "in",
                  "event": event}).encode()
      for event in (_BETA_DELTA, {**_BETA_DELTA, "response_id": {"id": "resp_1"}})),
]
_ENDS = [b"\n"] * 16 + [b"\r\n", b"\n\n", b"\r"]
_BULK = [_JSON[0], _JSON[1], _JSON[2], _JSON[3], _JSON[4], _JSON[21], _JSON[22]]


@st.composite
def _lines_of(draw: st.DrawFn) -> bytes:
    """Runs of bulk events, bare or after one prefix (the same shape, the clock moving),
    broken now and then by any event, any prefix, any other line."""
    prefix = draw(st.sampled_from([b"", *_PREFIXES[:3], *_PREFIXES[5:7]]))
    out = b""
    for _ in range(draw(st.integers(0, 50))):
        pick = draw(st.integers(0, 9))
        if pick < 6:
            line = prefix + draw(st.sampled_from(_BULK))
        elif pick < 8:
            line = draw(st.sampled_from([b"", *_PREFIXES])) + draw(st.sampled_from(_JSON))
        else:
            line = draw(st.sampled_from(_OTHER))
        if prefix[:2].isdigit() and draw(st.booleans()):  # the clock moves on
            second = draw(st.integers(0, 59))
            line = line.replace(b"10:00:00", b"10:00:%02d" % second, 1)
        out += line + draw(st.sampled_from(_ENDS))
    if draw(st.booleans()) and out:
        out = out[:-draw(st.integers(1, min(4, len(out))))]
    return out


def _stream(path: Path) -> tuple[list[Any], list[Any], str]:
    """What the reader yields (runs as their items), the same with every run as its
    entries, and the counts."""
    stats = ReadStats()
    raw: list[Any] = []
    flat: list[Any] = []
    for item in read_stream(path, stats, wanted=RuleEngine(stats.tracker).wants,
                            runs=BULK_TYPES):
        if isinstance(item, Run):
            raw.append((item.dir, item.items))
            flat.extend(item.entries())
        else:
            raw.append(item)
            flat.append(item)
    return raw, flat, repr((stats.lines, stats.events, stats.skipped_lines,
                            stats.torn_last_line, stats.oversized_lines, stats.kinds,
                            stats.format, stats.tracker.server, stats.tracker.server_evidence,
                            stats.last_line_t))


def _take_nothing(builder: Builder, readline: Callable[[int], bytes], limit: int, number: int,
                  offset: int) -> tuple[bytes, Any, int, int]:
    return readline(limit), lines._UNPARSED, number, offset  # every line goes the whole way


def _same_every_way(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        path = Path(tmp) / "app.log"
        path.write_bytes(data)
        patch.setattr(lines, "MAX_LINE_CHARS", _CAP)
        # Once first: the first line of a type the process has not met yet goes the whole
        # way (builder.EVENT_TYPE_SEEN), so only a second read of it takes the same path.
        _stream(path)
        fast_raw, fast, fast_counts = _stream(path)
        report = repr(doctor_engine.diagnose(path))
        with pytest.MonkeyPatch.context() as gathers:  # each line through Builder.inline
            gathers.setattr(lines, "_gather_bare", _take_nothing)
            gathers.setattr(lines, "_gather_text", _take_nothing)
            inline_raw, _, inline_counts = _stream(path)
        assert (repr(fast_raw), fast_counts) == (repr(inline_raw), inline_counts)
        patch.setattr(Builder, "inline", lambda *args: None)  # the whole way: entries
        patch.setattr(Builder, "record", lambda *args: None)  # (our records too)
        patch.setattr(lines.LineReader, "app_line",  # an app's line: LineReader.line
                      lambda self, raw: self.line(raw.decode("utf-8", "replace"), 0))
        _, whole, whole_counts = _stream(path)
        assert (fast, fast_counts) == (whole, whole_counts)
        assert repr([(e.index, e.line, e.t, e.ts, e.dir, e.in_array) for e in fast]) \
            == repr([(e.index, e.line, e.t, e.ts, e.dir, e.in_array) for e in whole])
        assert report == repr(doctor_engine.diagnose(path))


@pytest.mark.parametrize("line", _OTHER + [p + j for p in _PREFIXES for j in _JSON[:8]]
                         + _JSON)
@pytest.mark.parametrize("run", [b"", _PREFIXES[0], _PREFIXES[5], _PREFIXES[11]],
                         ids=["bare", "logcat", "console", "no-stamp"])
@pytest.mark.parametrize("end", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_each_line_in_the_middle_of_a_run_reads_the_same_every_way(line: bytes, run: bytes,
                                                                   end: bytes) -> None:
    first = run + _JSON[0] + end
    later = run.replace(b"10:00:00", b"10:00:01") + _JSON[0] + end
    _same_every_way(first + later + line + end + later + first)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines_of())
def test_app_logs_read_the_same_every_way(data: bytes) -> None:
    _same_every_way(data)


@pytest.mark.parametrize("prefix", [b"", _PREFIXES[0], _PREFIXES[5]], ids=["bare", "logcat",
                                                                           "console"])
def test_a_run_of_an_app_s_events_is_gathered_to_its_end(prefix: bytes,
                                                         tmp_path: Path) -> None:
    """The paths are taken: 30 deltas, bare or after a stamped prefix, come as one run (all
    but the first line gathered), timed from their stamps, and what stops the run is read as
    usual."""
    rows = [prefix.replace(b"10:00:00.123", b"10:00:%02d.500" % k).replace(
        b"10:00:03.250", b"10:00:%02d.500" % k) + _JSON[0] for k in range(30)]
    rows.append(prefix + _JSON[6])
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join(rows) + b"\n")
    gather = "_gather_bare" if not prefix else "_gather_text"
    taken: list[int] = []
    real = getattr(lines, gather)

    def spy(*args: Any) -> tuple[bytes, Any, int, int]:
        raw, obj, number, offset = real(*args)
        taken.append(number - args[3])
        return raw, obj, number, offset

    _stream(path)  # the types met once (see _same_every_way)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines, gather, spy)
        got, flat, counts = _stream(path)
    assert taken == [29]
    assert [(run[0], [item[:2] for item in run[1]]) for run in got if isinstance(run, tuple)] \
        == [("in", [(k, k + 1) for k in range(30)])]
    assert flat[5].event == {"type": _DELTA["type"], "response_id": "resp_1"}
    assert flat[5].t == (None if not prefix else 5.0)
    assert flat[-1].type == "response.created"
    assert "'text'" in counts if prefix else "'jsonl'" in counts


def test_a_bare_run_takes_only_the_types_its_direction_names(tmp_path: Path) -> None:
    """Whatever a caller gathers as bulk: a bare event is the sender its type names, so an
    append (a client event) never joins a run of events coming in, even where the caller's
    bulk types for that direction name it (as one of our records said it came in)."""
    runs = {"in": frozenset({_DELTA["type"], _APPEND["type"]}), "out": frozenset()}
    record = json.dumps({"t": 1.0, "ts": "2026-11-21T10:00:01.000Z", "dir": "in",
                         "event": {"type": _APPEND["type"], "audio": {"bytes": 4}}}).encode()
    path = tmp_path / "app.log"
    path.write_bytes(b"\n".join([record, _JSON[0], _JSON[0], _JSON[4], _JSON[0]]) + b"\n")

    def read() -> list[Any]:
        stats = ReadStats()
        return [(item.dir, [i[4]["type"] for i in item.items]) if isinstance(item, Run)
                else (item.dir, item.type)
                for item in read_stream(path, stats, wanted=RuleEngine(stats.tracker).wants,
                                        runs=runs)]

    read()  # the types met once (see _same_every_way)
    assert read() == [("in", [_APPEND["type"]]), ("in", [_DELTA["type"]] * 2),
                      ("out", _APPEND["type"]), ("in", [_DELTA["type"]])]
