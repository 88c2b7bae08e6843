"""Reading a line-based log (JSONL or text with events inline), line by line, as bytes.

The reader used to read every line as text; most lines of a log are one JSON object each, and
orjson reads those faster from the file's bytes (a ``str`` must be encoded back to UTF-8 for it
first), as ``readline`` is faster on bytes. So lines are read as bytes while that gives exactly
what text reading gives, and as text from the first line where it might not:

- text reading (``newline=""``) ends a line at ``\\n``, ``\\r\\n`` or a lone ``\\r``; bytes
  reading only at ``\\n``. A line with a ``\\r`` anywhere but just before its ``\\n`` hands over.
- the length cap counts characters (:data:`MAX_LINE_CHARS`); a line that reaches that many
  bytes hands over, and the text reader counts it as it always did.
- a line that is not one JSON object starting with ``{`` after ASCII whitespace, or whose bytes
  orjson refuses (invalid UTF-8, Unicode whitespace around it, NaN …), is decoded as text
  reading decodes it (UTF-8, errors replaced: ``\\n`` never splits a UTF-8 sequence, so per
  line is the same as the whole file) and goes the text way (:meth:`LineReader.line`).

``tests/eventlog/test_lines.py`` compares both ways on hostile logs.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Generator, Iterator
from typing import IO, Any, Literal

import orjson

from voicechat.eventlog.builder import Builder, Raw
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.gather import UNPARSED as _UNPARSED
from voicechat.eventlog.gather import gather_bare as _gather_bare
from voicechat.eventlog.gather import gather_records as _gather
from voicechat.eventlog.gather import gather_text as _gather_text
from voicechat.eventlog.gemini_frames import close_event
from voicechat.eventlog.run import Run
from voicechat.eventlog.stats import ReadStats
from voicechat.eventlog.textscan import InlineScanner, newest_stamp, whole_rest
from voicechat.eventlog.unwrap import unwrap
from voicechat.protocol.frames import load_json

_loads = orjson.loads  # load_json's first try, called directly: once per line
_CHUNK = 1 << 20
#: A line longer than this is skipped without being held in memory: no Realtime event is that
#: big (audio travels in chunks of a few KB), and a 200 MB one-line file must not cost 1 GB.
MAX_LINE_CHARS = 16 << 20
_NEWLINE = 10  # b"\n"[0]
#: The last lines without an event kept to read the log's own timeline from (the newest with a
#: timestamp wins: textscan.newest_stamp).
_TAIL_LINES = 8
#: The ASCII characters ``str.strip`` strips (``bytes.strip`` leaves out ``\x1c``-``\x1f``).
_STR_SPACE = b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


class LineReader:
    """What the reader makes of each line, with the state lines share (a multi-line event the
    text scanner is in the middle of)."""

    def __init__(self, stats: ReadStats, builder: Builder) -> None:
        self.stats = stats
        self.builder = builder
        self.scanner = InlineScanner()
        self.pending = False  # scanner.has_pending, which only its feed below changes
        #: the last lines that held no event (see :meth:`timeline_end`): kept, not parsed,
        #: so a line costs an append here and only the end reads a timestamp; an ASCII line
        #: read as bytes is kept as its bytes (:meth:`app_line`), decoded at the end
        self.tail: deque[str | bytes] = deque(maxlen=_TAIL_LINES)

    def line(self, line: str, number: int, obj: Any = _UNPARSED,
             recorded: bool = False) -> list[Entry]:
        """The entries of one line (not an oversized one), in order; a record gathered into a
        run gives none (see ``Builder.ready``). ``obj``: the line already parsed (a dict);
        ``recorded``: :meth:`Builder.record` already said it is not plainly ours."""
        stripped = line.strip()
        if not stripped:
            return []
        builder = self.builder
        if stripped[0] == "{" and not self.pending:
            if obj is _UNPARSED:
                try:
                    obj = _loads(stripped)
                except ValueError:  # orjson's error is one; the stdlib may still take the line
                    try:
                        obj = load_json(stripped)
                    except ValueError:
                        obj = None
            if isinstance(obj, dict):
                if not recorded:
                    entry = builder.record(obj, number, stripped)
                    if entry is True:
                        return []
                    if entry is not None:
                        return [entry]
                raw = unwrap(obj)
                entry = None if raw is None else builder.safe_entry(
                    raw, number, None, "voicechat" if raw.ours else "jsonl", text=stripped)
                if entry is not None:
                    return [entry]
            elif not line.endswith(("\n", "\r")):
                self.stats.torn_last_line = True  # killed mid-write: the last line is incomplete
        entries = []
        for found in self.scanner.feed(line, number):
            raw = unwrap(found.obj)
            entry = None if raw is None else builder.safe_entry(raw, found.line, found.prefix,
                                                                "text", text=found.json)
            if entry is not None:
                entries.append(entry)
        self.pending = self.scanner.has_pending
        if not entries and not self.pending:
            closed = self.close_line(line, number) if self.stats.gemini else None
            if closed is not None:
                return [closed]
            self.stats.skipped_lines += 1
            self.tail.append(line)
        return entries

    def close_line(self, line: str, number: int) -> Entry | None:
        """A Gemini Live log's line about its closed socket as a ``gemini.close`` event, timed
        by the line's timestamp; ``None`` for any other line. Asked only once a Gemini frame
        was read (``ReadStats.gemini``): a Realtime log never pays for it."""
        event = close_event(line)
        if event is None:
            return None
        head = line.strip()
        return self.builder.safe_entry(Raw(event, "in", None, None, False), number, head,
                                       "text", text=head)

    def app_line(self, raw: bytes) -> None:
        """:meth:`line` for an ASCII line with no ``{`` while no object is pending (an app's
        own line): no entry; the line is skipped and kept for the timeline unless
        ``str.strip`` leaves nothing of it. The same as :meth:`line` without decoding it, a
        call into the scanner or a check: most of a text log's non-event lines are these."""
        if raw.strip(_STR_SPACE):
            self.stats.skipped_lines += 1
            self.tail.append(raw)

    def timeline_end(self) -> float | None:
        """The time, on the entries' ``t`` scale, of the newest timestamped line among the
        last that held no event: a text log's own timeline, which runs on past its last event
        when the app kept logging (``ReadStats.last_line_t``). ``None`` when no event had a
        timestamp or none of those lines has one."""
        first = self.builder.first_stamp
        newest = newest_stamp(self.tail) if first is not None else None
        return None if newest is None or first is None else newest - first


def read_lines(handle: io.TextIOWrapper, stats: ReadStats,
               builder: Builder) -> Iterator[Entry | Run]:
    """Every entry (and run) of a line-based log, ``handle`` at its start."""
    lines = LineReader(stats, builder)
    buffer = handle.buffer
    left = yield from _read_bytes(buffer, lines)
    if left is not None:
        number, offset = left
        buffer.seek(offset)
        text = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace", newline="")
        try:
            yield from _read_text(text, lines, number)
        finally:
            text.detach()  # the buffer is the caller's to close
    scanner = lines.scanner
    stats.skipped_lines += scanner.abandoned_lines + scanner.pending_lines
    stats.last_line_t = lines.timeline_end()
    if builder.run_dir is not None:
        yield builder.take_run()


def _read_bytes(buffer: IO[bytes], lines: LineReader
                ) -> Generator[Entry | Run, None, tuple[int, int] | None]:
    """Lines as bytes while that is exact (see the module's docstring); ``None`` at the end of
    the file, else the lines read so far and the offset of the first line text must read."""
    builder, stats = lines.builder, lines.stats
    record, inline = builder.record, builder.inline
    readline = buffer.readline
    limit = MAX_LINE_CHARS
    number = offset = 0
    raw = b""
    gathered = False  # raw is the line _gather stopped at, not read yet here
    obj: Any = _UNPARSED  # and what it made of it
    # The lines are read here, not by a generator of their own: one layer less per line.
    while True:
        if gathered:
            gathered = False
        else:
            raw = readline(limit)
            obj = _UNPARSED
        if not raw:
            return None
        size = len(raw)
        cr = raw.find(b"\r")
        if (cr != -1 and (cr != size - 2 or raw[-1] != _NEWLINE)) \
                or (size == limit and raw[-1] != _NEWLINE):
            return number, offset
        offset += size
        number += 1
        stats.lines = number
        stripped = raw.strip()
        recorded = False
        entry: Entry | Literal[True] | None = None
        if lines.pending:
            pass  # the text scanner is inside an object: it reads the line
        elif stripped[:1] == b"{":
            try:
                if obj is _UNPARSED:
                    obj = _loads(stripped)  # an object: the line starts with "{"
            except ValueError:
                pass  # text reading decides (it may take it: see the docstring)
            else:
                if "type" not in obj:  # (record() takes no object with a type)
                    entry = record(obj, number, stripped)
                elif obj["type"].__class__ is str:  # a bare event?
                    entry = inline(obj, number, stripped, None, "jsonl")
                recorded = entry is None
        elif stripped:
            start = raw.find(b"{")
            if start == -1 and raw.isascii():
                closed = lines.close_line(raw.decode(), number) if stats.gemini else None
                if closed is None:
                    lines.app_line(raw)  # (no "{", none pending: no entry)
                    continue
                entry = closed
            else:
                entry = None if start == -1 else _inline_text(builder, raw, number, start)
        if entry is True:  # gathered into a run
            if builder.ready is not None:
                yield builder.take_ready()  # the run before it, of another direction or kind
            run_kind = builder.run_kind
            if run_kind == "text":
                raw, obj, number, offset = _gather_text(lines, readline, limit, number, offset)
            else:
                gather = _gather if run_kind == "voicechat" else _gather_bare
                raw, obj, number, offset = gather(builder, readline, limit, number, offset)
            gathered = True
            continue
        if entry is not None:
            if builder.run_dir is not None:
                yield builder.take_run()
            yield entry
            continue
        yield from _handed_on(builder, lines.line(raw.decode("utf-8", "replace"), number, obj,
                                                  recorded))


def _inline_text(builder: Builder, raw: bytes, number: int,
                 start: int) -> Entry | Literal[True] | None:
    """A text line that ends with its one event (what most logcat and console lines are):
    :meth:`Builder.inline` of it, with the prefix before it, exactly as the text scanner
    would find it (:func:`~voicechat.eventlog.textscan.whole_rest`, on the line's bytes);
    ``None`` for any other line, which goes the whole way.

    On bytes, as the scanner on the decoded line: the first ``{`` is at the same place
    (``{`` is ASCII, never inside a UTF-8 sequence), an object orjson takes from the bytes
    is valid UTF-8 and the same object, and ASCII whitespace after its ``}`` is what
    ``str.rstrip`` strips there (any other trailing character: not a whole rest, the whole
    way). ``start``: the offset of the line's first ``{``."""
    rest = raw[start:].rstrip()
    obj = whole_rest(rest)
    if obj is None or obj.get("type").__class__ is not str:
        return None
    return builder.inline(obj, number, rest, raw[:start], "text")


def _read_text(handle: IO[str], lines: LineReader, number: int) -> Iterator[Entry | Run]:
    """The rest of the file as text, from line ``number + 1``."""
    builder, stats = lines.builder, lines.stats
    readline = handle.readline
    while True:
        line = readline(MAX_LINE_CHARS)
        if not line:
            break
        number += 1
        stats.lines = number
        if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
            # A line over MAX_LINE_CHARS is read past in chunks, counted, never held whole.
            while True:
                rest = readline(_CHUNK)
                if not rest or rest.endswith("\n"):
                    break
            stats.oversized_lines += 1
            stats.skipped_lines += 1
            continue
        yield from _handed_on(builder, lines.line(line, number))


def _handed_on(builder: Builder, found: list[Entry]) -> Iterator[Entry | Run]:
    """What a line read the generic way gives, in stream order: a run the line's record set
    aside (:attr:`Builder.ready`), then, if it found entries, the run being gathered before
    them, then the entries themselves."""
    if builder.ready is not None:
        yield builder.take_ready()
    if found:
        if builder.run_dir is not None:
            yield builder.take_run()
        yield from found
