"""The recorder: file mode, per-line flushing, and surviving a kill mid-session."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import until_sync
from voicechat.eventlog.reader import ReadStats, read_entries
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.recorder import Recorder, RecordError, timestamp_of_ns, utc_timestamp


def test_file_is_0600_from_creation_even_if_it_existed(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    path.write_text("old\n")
    path.chmod(0o644)
    old_umask = os.umask(0)
    try:
        with Recorder.open(path) as rec:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            rec.record("out", {"type": "response.create"})
        fresh = tmp_path / "fresh.jsonl"
        with Recorder.open(fresh):
            assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
    assert "old" not in path.read_text()  # truncated, not appended to


def test_each_record_is_on_disk_before_the_next(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Recorder.open(path) as rec:
        rec.write(LogRecord(1.5, "2026-11-21T10:00:01.500Z", "in",
                            {"type": "session.created", "session": {}}))
        # readable by another reader while the recorder is still open
        lines = path.read_text().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0]) == {"t": 1.5, "ts": "2026-11-21T10:00:01.500Z", "dir": "in",
                                        "event": {"type": "session.created", "session": {}}}
        stamped = rec.record("local", {"type": "local.mic.muted", "reason": "playback"})
        assert stamped.t >= 0 and stamped.ts.endswith("Z")
        assert len(path.read_text().splitlines()) == 2
    records = list(read_entries(path))
    assert [r.event["type"] for r in records] == ["session.created", "local.mic.muted"]
    assert records[1].dir == "local"


def test_reader_skips_a_torn_last_line_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with Recorder.open(path) as rec:
        for n in range(3):
            rec.record("in", {"type": "rate_limits.updated", "n": n})
    with open(path, "a") as handle:
        handle.write('{"t":1.0,"ts":"2026-11-21T10:00:01.000Z","dir":"in","event":{"type":"resp')
    stats = ReadStats()
    records = list(read_entries(path, stats))
    assert len(records) == 3
    assert stats.skipped_lines == 1 and stats.torn_last_line


_WRITER = """
import sys
from voicechat.eventlog.recorder import Recorder
rec = Recorder.open(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    rec.record("in", {"type": "response.output_audio_transcript.delta", "delta": "x" * 300,
                      "n": n})
    n += 1
"""


def test_log_survives_a_kill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        until_sync(lambda: path.stat().st_size >= 200_000, "200 kB of log", step=0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stats = ReadStats()
    records = list(read_entries(path, stats))
    assert len(records) > 100
    assert [r.event["n"] for r in records] == list(range(len(records)))  # no gaps, in order
    assert stats.skipped_lines <= 1  # at most the line being written when killed


def test_a_failing_write_stops_the_recording_once_and_says_why() -> None:
    said: list[str] = []
    rec = Recorder.open("/dev/full", on_error=said.append)
    rec.record("local", {"type": "local.mic.source", "source": "none"})
    rec.record("local", {"type": "local.speaker.sink", "sink": "none"})
    assert rec.closed and rec.records_written == 0
    assert said == [rec.error]
    assert said[0] == ("cannot record to /dev/full: No space left on device "
                       "(free some space or record elsewhere)")


def test_a_path_that_cannot_be_opened_names_the_path_the_reason_and_the_fix(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nodir" / "log.jsonl"
    with pytest.raises(RecordError) as caught:
        Recorder.open(missing)
    assert str(caught.value) == (f"cannot record to {missing}: No such file or directory "
                                 f"(create the directory {missing.parent} or choose another "
                                 "--record path)")
    with pytest.raises(RecordError, match="a file name, not a directory"):
        Recorder.open(tmp_path)


def test_recording_to_a_device_leaves_its_mode_alone() -> None:
    before = stat.S_IMODE(os.stat("/dev/null").st_mode)
    with Recorder.open("/dev/null") as rec:
        rec.record("local", {"type": "local.mic.source", "source": "none"})
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == before


def test_a_log_already_at_the_path_is_kept_beside_it_numbered_by_age(tmp_path: Path) -> None:
    """Issue 55, item 4: recording again to a path never loses the log there."""
    path = tmp_path / "log.jsonl"
    for run in ("first", "second", "third"):
        with Recorder.open(path) as rec:
            rec.record("out", {"type": "response.create", "run": run})
    runs = {p.name: json.loads(p.read_text())["event"]["run"] for p in tmp_path.iterdir()}
    assert runs == {"log.1.jsonl": "first", "log.2.jsonl": "second", "log.jsonl": "third"}
    assert rec.kept == tmp_path / "log.2.jsonl"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with Recorder.open(empty) as rec:  # nothing to keep: nothing kept
        assert rec.kept is None
    with Recorder.open("/dev/null") as rec:  # not a file: never moved
        assert rec.kept is None and Path("/dev/null").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "empty.jsonl", "log.1.jsonl", "log.2.jsonl", "log.jsonl"]


@given(st.integers(min_value=0, max_value=4_102_444_800 * 10**9 - 1))  # to 2100
def test_a_timestamp_from_nanoseconds_reads_as_datetime_formats_it(epoch_ns: int) -> None:
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=epoch_ns // 1000)
    assert timestamp_of_ns(epoch_ns) == utc_timestamp(when)
    assert timestamp_of_ns(epoch_ns) == timestamp_of_ns(epoch_ns)  # the cached second's too


def test_the_timestamp_now_is_the_clock_s_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamp = utc_timestamp()
    after = datetime.now(UTC)
    read = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= read <= after
