"""Read any supported log format as one stream of :class:`Entry` objects.

Formats (detected from the content, never the file name):

- ``voicechat``: our JSONL log (``{"t", "ts", "dir", "event"}`` per line);
- ``jsonl``: one bare event per line (or a wrapper such as ``{"direction", "data": {...}}``);
- ``json-array``: a JSON array of events or wrappers, parsed incrementally;
- ``text``: any text with events inline (logcat, browser console, timestamped app logs).

Everything streams: the file is read line by line (or in 1 MB chunks for arrays), so a 100 MB
log costs no more memory than a small one. Every event is redacted on the way in, so audio and
secrets from a foreign log never reach a report or the replay UI.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, cast

from voicechat.eventlog.builder import Builder
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.lines import read_lines
from voicechat.eventlog.run import Run
from voicechat.eventlog.skip import Skipper, Wants
from voicechat.eventlog.source import LogReadError, open_log, unreadable
from voicechat.eventlog.stats import ReadStats
from voicechat.eventlog.unwrap import unwrap

__all__ = ["LogReadError", "ReadStats", "read_entries", "read_stream"]

_CHUNK = 1 << 20
#: After a malformed array element, the buffer is cut at the next one once this far in.
_RESYNC_TRIM = 4096


def read_entries(path: Path | str | io.TextIOWrapper, stats: ReadStats | None = None, *,
                 wanted: Callable[[str], Wants] | None = None,
                 name: Path | str | None = None) -> Iterator[Entry]:
    """Stream the events of ``path``; raises :class:`LogReadError` if it cannot be opened.

    ``path`` may be a log :func:`~voicechat.eventlog.source.open_log` opened already (a caller
    that peeked at it first: a pipe can be read only once); it is closed at the end, and
    ``name`` is how an error names it.

    ``wanted``: what the caller reads of each canonical event type beyond its place in the
    stream (``None``: everything): ``True`` the whole event, else the top-level fields it reads
    (:data:`~voicechat.eventlog.skip.Wants`). An event of a type not read whole still comes
    out, numbered and timed as always, but as a stub holding its type and those fields (a
    client event's stub is the whole event, its audio as a size: see
    :mod:`voicechat.eventlog.skip`), built without the redaction walk or the dialect mapping.
    Only a caller that provably reads nothing else (the doctor) may pass it; replay, summaries
    and the observer show events whole and pass nothing.
    """
    return cast(Iterator[Entry], read_stream(path, stats, wanted=wanted, name=name))


def read_stream(path: Path | str | io.TextIOWrapper, stats: ReadStats | None = None, *,
                wanted: Callable[[str], Wants] | None = None,
                runs: Mapping[str, frozenset[str]] | None = None,
                name: Path | str | None = None) -> Iterator[Entry | Run]:
    """:func:`read_entries`, where consecutive stubs of the raw types ``runs`` names for their
    direction (``{"in": …, "out": …}``), each its own canonical form, may come as one
    :class:`~voicechat.eventlog.run.Run` instead of an entry each (only with ``wanted``). The
    doctor's way through a log: most of a log is such runs, and an entry per line costs as
    much as decoding the line."""
    stats = stats if stats is not None else ReadStats()
    handle = path if isinstance(path, io.TextIOWrapper) else open_log(Path(path))
    with handle:
        try:
            first = _peek(handle)
            builder = Builder(stats, Skipper(wanted) if wanted is not None else None, runs)
            if first == "[" and _opens_array_of_objects(handle):
                yield from _read_array(handle, stats, builder)
            else:
                yield from read_lines(handle, stats, builder)
        except OSError as exc:  # the disk or the mount failed mid-read (EIO)
            label = name if name is not None else path
            raise unreadable(Path(str(label)), exc) from exc


def _peek(handle: IO[str]) -> str:
    while True:
        ch = handle.read(1)
        if not ch:
            handle.seek(0)
            return ""
        if not ch.isspace() and ch != "\ufeff":
            handle.seek(0)
            return ch


def _opens_array_of_objects(handle: IO[str]) -> bool:
    """A log that starts with ``[`` is a JSON array only if an object (or ``]``) comes next.

    ``[   0.210] server: {...}`` and ``[10:00:00] ...`` start with ``[`` too: those are text.
    """
    head = handle.read(4096)
    handle.seek(0)
    after = head[head.index("[") + 1:].lstrip()
    return not after or after[0] in "{]"


def _read_array(handle: IO[str], stats: ReadStats, builder: Builder) -> Iterator[Entry]:
    decoder = json.JSONDecoder()
    buf = handle.read(_CHUNK)
    pos = buf.index("[") + 1
    line = 1 + buf.count("\n", 0, pos)
    eof = False
    while True:
        while pos < len(buf) and (buf[pos].isspace() or buf[pos] == ","):
            if buf[pos] == "\n":
                line += 1
            pos += 1
        if pos >= len(buf) - 1 and not eof:
            more = handle.read(_CHUNK)
            eof = not more
            buf = buf[pos:] + more
            pos = 0
            if pos < len(buf):
                continue
        if pos >= len(buf) or buf[pos] == "]":
            break
        try:
            obj, end = decoder.raw_decode(buf, pos)
        except (ValueError, RecursionError):
            if not eof and len(buf) - pos < 16 * _CHUNK:
                more = handle.read(_CHUNK)  # the element continues in the next chunk
                eof = not more
                buf = buf[pos:] + more
                pos = 0
                continue
            # A malformed element (or a torn tail): skip it and resynchronise on the next "{",
            # so one bad element neither ends the read nor makes the buffer grow without bound.
            stats.skipped_lines += 1
            following = buf.find("{", pos + 1)
            if following == -1:
                if eof:
                    stats.torn_last_line = True
                    break
                buf, pos = handle.read(_CHUNK), 0
                eof = not buf
                continue
            line += buf.count("\n", pos, following)
            pos = following
            if pos > _RESYNC_TRIM:
                # The decoder's error counts the lines from the buffer's start: unbounded, a
                # run of 300 000 bad elements ("[{,{,{…") cost 40 s.
                buf, pos = buf[pos:], 0
            continue
        start_line = line
        line += buf.count("\n", pos, end)
        pos = end
        raw = unwrap(obj) if isinstance(obj, dict) else None
        entry = None if raw is None else builder.safe_entry(raw, start_line, None, "json-array",
                                                            in_array=True)
        if entry is None:
            stats.skipped_lines += 1
        else:
            yield entry
        if pos > _CHUNK:
            buf = buf[pos:]
            pos = 0
    stats.lines = line
