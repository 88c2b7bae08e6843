"""Opening a log: pipes and FIFOs (read, never waited on forever), UTF-16/32 with a
byte-order mark, and compressed or binary files refused with what they are."""

from __future__ import annotations

import gzip
import io
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import without_a_writer
from voicechat.eventlog import source
from voicechat.eventlog.reader import LogReadError, ReadStats, read_entries

LOGS = Path(__file__).resolve().parents[1] / "doctor" / "logs"
LOG = LOGS / "clean_ga_websocket.jsonl"


def _summary(path: Path | str) -> tuple[list[tuple[int, str | None, str]], int]:
    stats = ReadStats()
    entries = list(read_entries(path, stats))
    return [(e.line, e.dir, json.dumps(e.event, sort_keys=True)) for e in entries], stats.lines


def _feed(fd: int, data: bytes) -> threading.Thread:
    """Write ``data`` to ``fd`` from a thread (a pipe holds only 64 KB) and close it."""
    def write() -> None:
        with open(fd, "wb") as pipe:
            pipe.write(data)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_pipe_reads_as_the_file_does() -> None:
    # voicechat doctor <(zcat log.gz), or /dev/stdin: a stream that cannot seek
    data = (LOGS / "clean_ga_text_console.log").read_bytes() * 40  # > one pipe buffer
    read, write = os.pipe()
    writer = _feed(write, data)
    try:
        got = _summary(f"/dev/fd/{read}")
    finally:
        os.close(read)
        writer.join(10)
    assert got[1] == data.count(b"\n")
    assert got[0][:5] == _summary(LOGS / "clean_ga_text_console.log")[0][:5]
    assert len(got[0]) == 40 * len(_summary(LOGS / "clean_ga_text_console.log")[0])


def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as pipe:  # waits for the reader to open it
            pipe.write(LOG.read_bytes())
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert _summary(fifo) == _summary(LOG)
    writer.join(10)


def test_a_fifo_nothing_writes_to_is_an_error_not_a_hang(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "PIPE_WAIT_S", 0.2)
    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    error = without_a_writer(fifo, lambda: list(read_entries(fifo)),
                             "reading a FIFO nobody writes to waited for a writer")
    assert isinstance(error, LogReadError)
    assert "nothing came through it" in str(error) and "save the log to a file" in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_log_with_a_byte_order_mark_reads_as_utf8(tmp_path: Path, encoding: str) -> None:
    # PowerShell 5's "> log.jsonl" writes UTF-16 LE with a mark; read as UTF-8 it had no event
    text = LOG.read_text(encoding="utf-8").replace("What is the weather?", "Wetter? ☀️ 𝄞 ok")
    plain = tmp_path / "plain.jsonl"
    plain.write_text(text, encoding="utf-8")
    marked = tmp_path / f"{encoding}.jsonl"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    marked.write_bytes(data)
    expected = _summary(plain)
    # the clef (a surrogate pair in UTF-16) is in an event
    assert any("Wetter?" in event and "\\ud834\\udd1e" in event for _, _, event in expected[0])
    assert _summary(marked) == expected


@given(st.text(max_size=60), st.integers(min_value=1, max_value=7),
       st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]))
def test_transcoding_is_exact_across_chunk_boundaries(text: str, chunk: int,
                                                      encoding: str) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00",
           "utf-32-be": b"\x00\x00\xfe\xff"}[encoding]
    original = source._CHUNK
    source._CHUNK = chunk  # split characters (and surrogate pairs) between reads
    try:
        copy = source._transcoded(io.BytesIO(bom + text.encode(encoding)), encoding, len(bom))
    finally:
        source._CHUNK = original
    with copy:
        assert copy.read() == text.encode("utf-8")


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(LOG, "log.jsonl")


@pytest.mark.parametrize(("name", "make", "words"), [
    ("log.jsonl.gz", lambda p: p.write_bytes(gzip.compress(LOG.read_bytes())),
     ["gzip-compressed", "gunzip -k", "zcat"]),
    ("logs.zip", _zip, ["zip archive", "unzip"]),
    ("shot.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)),
     ["PNG image", "event log"]),
])
def test_compressed_and_binary_files_say_what_they_are(tmp_path: Path, name: str, make,
                                                       words: list[str]) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(LogReadError) as caught:
        list(read_entries(path))
    for word in words:
        assert word in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_log_that_merely_starts_like_a_magic_number_is_still_read(tmp_path: Path) -> None:
    # "BZh" starts bzip2's mark; a text log whose first line starts so is still text
    path = tmp_path / "app.log"
    path.write_text("BZh9 app started\n" + LOG.read_text(encoding="utf-8"), encoding="utf-8")
    entries, _lines = _summary(path)
    assert len(entries) == len(_summary(LOG)[0])


def test_a_device_that_seeks_is_read_in_place() -> None:
    # /dev/null is no pipe: nothing is spooled and nothing waited for
    assert _summary("/dev/null") == ([], 0)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="Linux /proc only")
def test_a_file_that_fails_on_read_is_an_error_not_a_traceback() -> None:
    # /proc/self/mem opens, then reading offset 0 fails with EIO, for root too: what a failing
    # disk or a dropped network mount does
    with pytest.raises(LogReadError, match=r"cannot read .*Copy the log to a local file"):
        list(read_entries("/proc/self/mem"))


def test_a_read_failing_midway_reaches_each_command_as_its_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import errno
    from collections.abc import Iterator

    from voicechat.commands import doctor, replay
    from voicechat.conversation import ConversationError, load_conversation
    from voicechat.eventlog import reader

    real = reader.read_lines

    def failing(*args: object) -> Iterator[object]:
        lines = real(*args)  # type: ignore[arg-type]
        yield next(lines)
        yield next(lines)
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(reader, "read_lines", failing)
    assert doctor.run(LOG, json_output=False) == 2
    assert replay.run(LOG, speed=1e9, no_ui=True) == 2
    err = capsys.readouterr().err
    assert err.count(f"{LOG}: cannot read (Input/output error)") == 2
    with pytest.raises(ConversationError, match="cannot read"):
        load_conversation(LOG)
