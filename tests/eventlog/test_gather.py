"""Once a run of bulk records has begun, the line reader takes the run's next lines itself
(``lines._gather``) instead of sending each through the whole line path and
:meth:`Builder.record`. It must gather exactly what that path gathers, hand back every line it
does not take at the right place, and count lines and events the same: whatever the lines in
and after a run hold."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicechat.doctor.engine import RuleEngine
from voicechat.doctor.rules.base import BULK_TYPES
from voicechat.eventlog import lines
from voicechat.eventlog.builder import Builder
from voicechat.eventlog.reader import ReadStats, read_stream
from voicechat.eventlog.run import Run

_CAP = 400  # MAX_LINE_CHARS while testing: the long lines below reach it


def _record(direction: str, event: dict[str, Any], t: Any = 1.25,
            **outer: Any) -> bytes:
    return json.dumps({"t": t, "ts": "2026-11-21T10:00:01.250Z", "dir": direction,
                       "event": event, **outer}, separators=(",", ":")).encode()


_DELTA = {"type": "response.output_audio_transcript.delta", "response_id": "resp_1",
          "item_id": "item_1", "delta": "word "}
_AUDIO = {"type": "response.output_audio.delta", "response_id": "resp_2",
          "delta": {"bytes": 9600}}
_APPEND = {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}
#: Lines a run's reader meets: plain members of a run, then everything it must hand back.
_LINES = [
    _record("in", _DELTA), _record("in", _AUDIO), _record("in", _DELTA, t=3),
    _record("out", _APPEND), _record("out", {**_APPEND, "event_id": "evt_1"}),
    _record("out", {**_APPEND, "audio": "QUJDRA=="}),  # raw audio: kept as its size
    _record("in", {**_DELTA, "response_id": "sk-abcdefghijklmnop1234"}),  # redacted
    _record("in", {**_DELTA, "delta": "A" * 500}),  # over the cap
    _record("in", _DELTA) + b" " * _CAP,  # over the cap, though the cap's worth is a record
    _record("in", {"type": "response.output_text.delta", "response_id": "resp_1",
                   "delta": "\u00e9t\u00e9"}),
    _record("in", {**_DELTA, "response_id": {"id": "resp_1"}}),  # a stub refuses an object
    _record("in", {"type": "response.audio_transcript.delta", "response_id": {"id": "r"}}),
    _record("in", {**_AUDIO, "response": "resp_3"}),
    _record("out", {**_APPEND, "audio": ["x"]}),
    _record("out", {**_APPEND, "item_id": "item_9"}),  # an undeclared field: read whole
    _record("local", _DELTA), _record("out", _DELTA), _record("in", _APPEND),
    _record("in", _DELTA, t=True), _record("in", _DELTA, t="1.5"), _record("in", _DELTA, t=None),
    _record("in", _DELTA, type="note"),  # a type beside the record's keys
    _record("in", {**_DELTA, "type": ["x"]}), _record("in", {"delta": "x"}),
    _record("IN", _DELTA), _record("in", {"type": "response.audio.delta", "delta": "AAAA"}),
    _record("in", {"type": "session.created", "session": {"modalities": ["audio"]}}),
    _record("in", {"type": "response.done", "response": {"id": "resp_1"}}),
    json.dumps({"t": 1, "dir": "in", "event": _DELTA}).encode(),  # no ts
    _record("in", _DELTA, ts=None), _record("in", _DELTA, ts=1.5),
    json.dumps({"t": 1, "ts": "x", "dir": "in", "event": "response.done"}).encode(),
    b"  " + _record("in", _DELTA) + b"\t",  # JSON whitespace around it
    b"\x0c" + _record("in", _DELTA),  # whitespace to strip() only
    "\u00a0".encode() + _record("in", _DELTA),  # Unicode whitespace
    _record("in", _DELTA)[:-2] + b"\r" + _record("in", _DELTA)[-2:],  # a \r inside
    _record("in", {**_DELTA, "delta": "\xff"}).replace(b"\\u00ff", b"\xff"),  # not UTF-8
    _record("in", _DELTA)[:40],  # torn
    b"[1, 2]", b"3", b'"text"', b"null", b"{}", b"", b"   ", b"plain text",
    b"12-01 10:00:00.000  1 2 D Client: << {\"type\":\"response.created\",",
    b'"response":{"id":"resp_3"}}',
]
#: A lone \r hands the rest of the file to text reading (no more gathering): rare here.
_ENDS = [b"\n"] * 24 + [b"\r\n", b"\n\n", b"\r"]


@st.composite
def _logs(draw: st.DrawFn) -> bytes:
    """Runs of plain bulk records (in and out), broken now and then by any line above."""
    out = b""
    for _ in range(draw(st.integers(0, 60))):
        if draw(st.integers(0, 3)):
            line = draw(st.sampled_from(_LINES[:5]))
        else:
            line = draw(st.sampled_from(_LINES))
        out += line + draw(st.sampled_from(_ENDS))
    if draw(st.booleans()) and out:
        out = out[:-draw(st.integers(1, min(4, len(out))))]  # no newline at the end, or torn
    return out


def _take_nothing(builder: Builder, readline: Callable[[int], bytes], limit: int, number: int,
                  offset: int) -> tuple[bytes, Any, int, int]:
    return readline(limit), lines._UNPARSED, number, offset  # every line goes the whole way


def _read(path: Path) -> str:
    stats = ReadStats()
    got: list[Any] = []
    stream = read_stream(path, stats, wanted=RuleEngine(stats.tracker).wants, runs=BULK_TYPES)
    for item in stream:
        got.append((item.dir, item.items) if isinstance(item, Run) else item)
    # As text: 3 and 3.0 are equal, and a run's times are floats whichever way it is read.
    return repr((got, (stats.lines, stats.events, stats.skipped_lines, stats.torn_last_line,
                       stats.oversized_lines, stats.kinds, stats.tracker.server,
                       stats.tracker.server_evidence)))


def _same_either_way(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(data)
        patch.setattr(lines, "MAX_LINE_CHARS", _CAP)
        # Once first: the first line of a type the process has not met yet goes the generic
        # way (builder.EVENT_TYPE_SEEN), so only a second read of it gathers the same.
        _read(path)
        gathered = _read(path)
        patch.setattr(lines, "_gather", _take_nothing)
        assert gathered == _read(path)


@pytest.mark.parametrize("line", _LINES)
@pytest.mark.parametrize("run", [_LINES[0], _LINES[3]], ids=["in", "out"])
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b""], ids=["lf", "crlf", "eof"])
def test_each_line_in_the_middle_of_a_run_reads_the_same_either_way(line: bytes, run: bytes,
                                                                     end: bytes) -> None:
    _same_either_way(run + b"\n" + run + b"\n" + line + end + (run + b"\n" if end else b""))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs())
def test_a_run_s_lines_read_the_same_gathered_and_the_whole_way(data: bytes) -> None:
    _same_either_way(data)


def test_a_run_is_gathered_to_its_end_and_the_next_line_read_the_whole_way(
        tmp_path: Path) -> None:
    """The path is taken (a run of 30 deltas is one run, its items numbered in order), and
    what stops it is read as usual: an append going out starts the next run."""
    rows = [_record("in", {**_DELTA, "delta": f"w{k} "}, t=1 + k / 100) for k in range(30)]
    rows.append(_record("out", _APPEND, t=2.0))
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    taken: list[int] = []
    real = lines._gather

    def spy(*args: Any) -> tuple[bytes, Any, int, int]:
        raw, obj, number, offset = real(*args)
        taken.append(number - args[3])
        return raw, obj, number, offset

    _read(path)  # the types met once (see _same_either_way)
    stats = ReadStats()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines, "_gather", spy)
        got = list(read_stream(path, stats, wanted=RuleEngine(stats.tracker).wants,
                               runs=BULK_TYPES))
    assert taken[0] == 29  # all but the first, which began the run
    assert [(run.dir, [item[:2] for item in run.items]) for run in got if isinstance(run, Run)] \
        == [("in", [(k, k + 1) for k in range(30)]), ("out", [(30, 31)])]
    assert (stats.lines, stats.events, stats.skipped_lines) == (31, 31, 0)
    assert isinstance(got[0], Run)
    assert got[0].items[5][4] == {"type": _DELTA["type"], "response_id": "resp_1"}
