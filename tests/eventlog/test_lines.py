"""Lines are read as bytes while that is exact, as text from the first line where it might not
be (``voicechat/eventlog/lines.py``): whatever the log holds, that must read the same as reading
it all as text."""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.doctor.logstrategy import lines as log_lines
from voicechat.doctor.engine import RuleEngine
from voicechat.doctor.rules.base import BULK_TYPES
from voicechat.eventlog import lines
from voicechat.eventlog.reader import ReadStats, read_stream
from voicechat.eventlog.run import Run

_RECORD = ('{"t":1.5,"ts":"2026-11-21T10:00:01.500Z","dir":"in","event":{"type":'
           '"response.output_audio.delta","response_id":"resp_1","delta":{"bytes":9600}}}')
_HOSTILE = [
    _RECORD.encode(),
    b'{"t":1.6,"ts":"x","dir":"out","event":{"type":"input_audio_buffer.append",'
    b'"audio":"sk-abcdefghijklmnop"}}',
    b'{"t":1.7,"ts":"x","dir":"in","event":{"type":"response.output_text.delta",'
    b'"response_id":"resp_\\"2","delta":"say \\"hi\\" \\u00e9"}}',
    b'{"meta":{"type":"response.done"},"t":1.0,"dir":"in","ts":"x",'
    b'"event":{"type":"response.done","response":{"id":"resp_1"}}}',
    b'{"t":1.0,"ts":"\xff\xfe","dir":"in","event":{"type":"response.output_text.delta",'
    b'"response_id":"resp_1","delta":"\xc3"}}',  # not UTF-8
    "\u00a0".encode() + _RECORD.encode() + "\u00a0".encode(),  # Unicode whitespace around
    b"\x1c" + _RECORD.encode() + b"\x1f",
    "\ufeff".encode() + _RECORD.encode(),
    b'{"type":"rate_limits.updated","rate_limits":[],"x":NaN}',  # the stdlib's JSON only
    b'{"type":"error","error":{"message":"\xc3\xa9' + "\u00e9".encode() * 120 + b'"}}',
    b'{"dir":["in"],"t":1,"ts":"x","event":{"type":"error","error":{}}}',
    b"12-01 10:00:00.000  1 2 D Client: << {\"type\":\"response.created\",",
    b'"response":{"id":"resp_3"}}',
    b"plain text", b"", b"   ", b"{not json", b"[1, 2]",
    b'{"t":2.0,"ts":"x","dir":"in","event":{"type":"response.output_audio.delta",'
    b'"response_id":"resp_1","delta":"' + b"A" * 400 + b'"}}',  # over the small cap below
]


@st.composite
def _logs(draw: st.DrawFn) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 30))):
        if draw(st.booleans()):
            out += draw(st.sampled_from(_HOSTILE))
        else:
            out += draw(log_lines(1.0)).encode()
        out += draw(st.sampled_from([b"\n"] * 6 + [b"\r\n", b"\r", b"\n\n"]))
    if draw(st.booleans()) and len(out) > 4:
        out = out[:-draw(st.integers(1, 4))]  # torn at the end
    return out


def _text_only(buffer: Any, reader: Any) -> Generator[Any, None, tuple[int, int]]:
    return 0, 0  # hand over at once: the whole file read as text
    yield  # a generator


def _read(path: Path, doctor: bool) -> tuple[list[Any], tuple[Any, ...]]:
    stats = ReadStats()
    wanted = RuleEngine(stats.tracker).wants if doctor else None
    got = []
    for item in read_stream(path, stats, wanted=wanted, runs=BULK_TYPES if doctor else None):
        got.extend(item.entries() if isinstance(item, Run) else [item])
    return got, (stats.lines, stats.events, stats.skipped_lines, stats.torn_last_line,
                 stats.oversized_lines, stats.kinds, stats.tracker.server,
                 stats.tracker.server_evidence)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs(), st.booleans())
def test_any_log_reads_the_same_as_bytes_and_as_text(data: bytes, doctor: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        path = Path(tmp) / "log.jsonl"
        path.write_bytes(data)
        patch.setattr(lines, "MAX_LINE_CHARS", 300)  # the é line: fewer characters than bytes
        fast = _read(path, doctor)
        patch.setattr(lines, "_read_bytes", _text_only)
        assert _read(path, doctor) == fast


def test_a_plain_jsonl_log_is_read_as_bytes_to_the_end(tmp_path: Path) -> None:
    """What the bytes path is for: our own log never hands over to text reading."""
    path = tmp_path / "log.jsonl"
    path.write_bytes((_RECORD + "\r\n" + _RECORD + "\n").encode())
    handed: list[Any] = []
    real = lines._read_text

    def spy(*args: Any) -> Any:
        handed.append(args)
        return real(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines, "_read_text", spy)
        entries, stats = _read(path, doctor=True)
    assert not handed and len(entries) == 2 and stats[0] == 2
