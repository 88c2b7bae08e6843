"""Opening a log for the reader: a file, a pipe or a FIFO, UTF-8 or UTF-16, with clear errors.

The reader (:mod:`voicechat.eventlog.reader`, :mod:`voicechat.eventlog.lines`) reads a seekable
UTF-8 byte stream: it peeks at the start to tell a JSON array from text, and goes back to a
line's start when it hands a line from the bytes way to the text way. What people pass is not
always that, and each case used to fail badly:

- a pipe (``voicechat doctor <(zcat log.gz)``, ``/dev/stdin``): not seekable, a traceback. It
  is copied to an unnamed temporary file first (mode 0600, unlinked at once, so the secrets a
  log holds never stay on disk by name), up to :data:`MAX_PIPED_BYTES` (``yes |`` must not
  fill the disk).
- a FIFO nothing writes to: ``open`` waited for a writer forever. It is opened without
  waiting, and the first bytes are awaited for :data:`PIPE_WAIT_S` at most. Decision: a writer
  that exists but takes longer than that to say anything is taken as none (Linux cannot tell
  the two apart); a log's producer (``cat``, ``zcat``, ``ssh host cat``) writes within it.
- a UTF-16 or UTF-32 file with a byte-order mark (PowerShell 5's ``>`` writes UTF-16): read
  as UTF-8 it held no event. It is decoded by its mark into a UTF-8 temporary copy.
- a compressed archive, an image or another binary format (by its magic number): refused with
  what it is and what to do, rather than "no events found".
"""

from __future__ import annotations

import codecs
import io
import os
import select
import stat
import tempfile
from pathlib import Path
from typing import IO

#: How long a pipe or FIFO may stay silent before it is taken as having no writer.
PIPE_WAIT_S = 10.0
#: A piped log bigger than this is refused (it is spooled to disk first): save it to a file.
MAX_PIPED_BYTES = 1 << 30
_CHUNK = 1 << 20

#: Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Formats no event log is in, by their first bytes (``?``: any byte, as bzip2's level): what
#: the file is, and what to do.
_NOT_TEXT = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip -k FILE, or pass "
                                     "<(zcat FILE))"),
    (b"BZh?1AY&SY", "bzip2-compressed", "decompress it first (bunzip2 -k FILE)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz -k FILE)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd FILE)"),
    (b"PK\x03\x04", "a zip archive", "unzip it and pass the log inside"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "pass the event log, not a screenshot"),
    (b"\xff\xd8\xff", "a JPEG image", "pass the event log, not a screenshot"),
    (b"%PDF-", "a PDF document", "pass the event log itself"),
    (b"SQLite format 3\x00", "an SQLite database", "export the events as JSON or JSONL first"),
    (b"\x7fELF", "a program (ELF)", "pass the event log"),
)


class LogReadError(Exception):
    """The input cannot be read at all (missing, a directory, permission denied)."""


def open_log(path: Path) -> io.TextIOWrapper:
    """``path`` as a seekable UTF-8 text stream (``newline=""``, errors replaced) whose
    ``buffer`` the line reader reads; raises :class:`LogReadError` naming the problem and
    the fix."""
    raw = _open_bytes(path)
    try:
        head = raw.read(16)
        raw.seek(0)
        _refuse_binary(path, head)
        for bom, encoding in _BOMS:
            if head.startswith(bom):
                raw = _transcoded(raw, encoding, len(bom))
                break
    except OSError as exc:
        raw.close()
        raise unreadable(path, exc) from exc
    except BaseException:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def unreadable(path: Path, exc: OSError) -> LogReadError:
    """The error for a read that failed after the open (EIO on a failing disk, a dropped
    network mount, ``/proc/self/mem``)."""
    return LogReadError(f"{path}: cannot read ({exc.strerror or exc}). Copy the log to a local "
                        "file and pass that.")


def _open_bytes(path: Path) -> IO[bytes]:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (see the module's docstring).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise LogReadError(f"{path}: no such file. Check the path of the log.") from exc
    except PermissionError as exc:
        raise LogReadError(f"{path}: permission denied. Check the file's permissions.") from exc
    except OSError as exc:
        raise LogReadError(f"{path}: cannot open ({exc.strerror}).") from exc
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise LogReadError(f"{path} is a directory; pass the log file inside it.")
    os.set_blocking(fd, True)
    handle = open(fd, "rb")  # noqa: SIM115 (the caller's to close)
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) and handle.seekable():
        return handle  # a file (or a device that seeks, as /dev/null)
    with handle:
        try:
            return _spooled(path, handle)
        except OSError as exc:
            raise unreadable(path, exc) from exc


def _spooled(path: Path, pipe: IO[bytes]) -> IO[bytes]:
    """A pipe's bytes in an unnamed temporary file, once its writer said something."""
    if not pipe_has_news(pipe.fileno()):
        raise LogReadError(
            f"{path} is a pipe and nothing came through it in {PIPE_WAIT_S:g} s. Start the "
            "program that writes it first, or save the log to a file and pass that.")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (returned open)
    try:
        size = 0
        while chunk := pipe.read(_CHUNK):
            size += len(chunk)
            if size > MAX_PIPED_BYTES:
                raise LogReadError(
                    f"{path}: more than {MAX_PIPED_BYTES >> 20} MB came through the pipe. "
                    "Save the log to a file and pass that.")
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def pipe_has_news(fd: int) -> bool:
    """Whether ``fd`` has bytes or an end within :data:`PIPE_WAIT_S` (where ``poll`` exists:
    elsewhere there are no FIFOs to wait on)."""
    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(int(PIPE_WAIT_S * 1000)))


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, what, fix in _NOT_TEXT:
        if len(head) >= len(magic) and all(
                want in (ord("?"), got) for want, got in zip(magic, head, strict=False)):
            raise LogReadError(f"{path} is {what}: {fix.replace('FILE', str(path))}.")


def _transcoded(raw: IO[bytes], encoding: str, bom: int) -> IO[bytes]:
    """``raw`` (after its byte-order mark) decoded from ``encoding`` into a UTF-8 temporary
    copy, streamed: the reader reads UTF-8 bytes only."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (returned open)
    with raw:
        raw.seek(bom)
        try:
            while chunk := raw.read(_CHUNK):
                copy.write(decoder.decode(chunk).encode("utf-8", "replace"))
            copy.write(decoder.decode(b"", final=True).encode("utf-8", "replace"))
            copy.seek(0)
        except BaseException:
            copy.close()
            raise
    return copy
