"""The line reader's fast paths for a run's next lines (:mod:`voicechat.eventlog.lines`).

Once a run of bulk events has begun (``Builder.record`` / ``Builder.inline`` gathered its
first), the next lines of a log are mostly more of the same run: a reply's deltas, the mic's
appends. Each function here takes such lines itself while each is plainly one more item of the
run, exactly as the whole line path would gather it, and hands back the first line that is not
(read, not yet counted) with what orjson made of it. Split from ``lines.py``, which reads
every other line, as the run's own job: ``tests/eventlog/test_gather.py`` and
``test_inline.py`` compare each to the whole way on hostile logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import orjson

from voicechat.eventlog.builder import Builder
from voicechat.eventlog.textscan import (
    _DIGITS_AS_NUL,
    _LONG_DIGITS,
    DIGITS_AS_ZERO,
    base_seconds,
    head_plan,
)

_loads = orjson.loads
#: What a gather hands back for a line it did not decode (the whole way decodes it).
UNPARSED: Any = object()
NEWLINE = 10  # b"\n"[0]


class LineReader(Protocol):
    """What :func:`gather_text` needs of ``lines.LineReader`` (not imported: it imports
    this module)."""

    builder: Builder

    def line(self, line: str, number: int) -> list[Any]: ...

    def app_line(self, raw: bytes) -> None: ...


def gather_records(builder: Builder, readline: Callable[[int], bytes], limit: int, number: int,
            offset: int) -> tuple[bytes, Any, int, int]:
    """Add the next lines to the run being gathered while each is plainly one more of its
    records; the first line that is not (read, not yet counted), what orjson made of it (or
    :data:`UNPARSED`), and the lines and offset so far.

    The bulk of a log is such runs (a reply's deltas, the mic's appends), and going through
    the whole line path and :meth:`Builder.record` for each costs more than decoding it. Only
    the common case is taken here, each item exactly what :meth:`Builder.record` would gather
    (``tests/eventlog/test_gather.py`` compares the two); any other line goes back the whole
    way: one the length cap may have cut short, holding a ``\\r``, that orjson refuses or
    that is not an object, not a record of our shape, of another direction or of a type
    :meth:`Builder.run_kinds` does not name, or whose stub the skipper refuses.
    """
    kinds = builder.run_kinds()
    direction = builder.run_dir
    stub_with = builder.stub_with
    assert stub_with is not None and direction is not None
    append = builder.run_items.append
    stats = builder.stats
    index = stats.events
    raw = b""
    try:
        while True:
            raw = readline(limit)
            size = len(raw)
            # Maybe cut short, or a \r that text reading may split at (as in lines._read_bytes; a
            # CRLF end is JSON whitespace). find(), not ``in``: see needs_redaction_bytes.
            cr = raw.find(b"\r")
            if size == limit or (cr != -1 and (cr != size - 2 or raw[-1] != NEWLINE)):
                return raw, UNPARSED, number, offset
            try:
                # orjson takes the whitespace strip() would remove or refuses the line
                # (Unicode whitespace ...), so nothing is stripped first.
                obj = _loads(raw)
            except ValueError:  # not JSON (an empty line, the end of the file)
                return raw, UNPARSED, number, offset
            try:
                # Subscripts, cheaper than get(): a missing key, or a value of the wrong kind
                # to look in (only a dict takes a str key; only a str is a key of kinds),
                # raises, and the line goes the whole way.
                event = obj["event"]
                kind = event["type"]
                keeps, rename = kinds[kind]
                t = obj["t"]
                stamp = obj["ts"]
                raw_dir = obj["dir"]
            except (LookupError, TypeError):
                return raw, obj, number, offset
            if "type" in obj or raw_dir != direction or stamp.__class__ is not str:
                return raw, obj, number, offset
            if t.__class__ is not float:
                if t.__class__ is not int:
                    return raw, obj, number, offset
                t = float(t)
            stub = stub_with(event, kind, direction, keeps)
            if stub is None:
                return raw, obj, number, offset
            number += 1
            offset += size
            append((index, number, t, stamp, stub,
                    stub if rename is None else {**stub, "type": rename}))
            index += 1
    finally:
        stats.events = index
        stats.lines = number


def gather_bare(builder: Builder, readline: Callable[[int], bytes], limit: int, number: int,
                 offset: int) -> tuple[bytes, Any, int, int]:
    """:func:`gather_records` for a run of bare events (:meth:`Builder.inline`): the next lines
    while each is plainly one more of its events (an object whose ``type`` is one of the
    run's kinds for its direction, whose stub the skipper makes), each item exactly what
    :meth:`Builder.inline` would gather (``tests/eventlog/test_inline.py``); any other line
    goes back the whole way."""
    kinds = builder.run_kinds(bare=True)
    direction = builder.run_dir
    stub_with = builder.stub_with
    assert stub_with is not None and direction is not None
    append = builder.run_items.append
    stats = builder.stats
    index = stats.events
    raw = b""
    try:
        while True:
            raw = readline(limit)
            size = len(raw)
            # Maybe cut short, or a \r that text reading may split at (as in lines._read_bytes; a
            # CRLF end is JSON whitespace). find(), not ``in``: see needs_redaction_bytes.
            cr = raw.find(b"\r")
            if size == limit or (cr != -1 and (cr != size - 2 or raw[-1] != NEWLINE)):
                return raw, UNPARSED, number, offset
            try:
                obj = _loads(raw)  # (whitespace: as in gather_records)
            except ValueError:
                return raw, UNPARSED, number, offset
            try:
                # Only a dict takes a str key, only a str is a key of kinds: anything else
                # raises, and the line goes the whole way.
                kind = obj["type"]
                keeps, rename = kinds[kind]
            except (LookupError, TypeError):
                return raw, obj, number, offset
            stub = stub_with(obj, kind, direction, keeps)
            if stub is None:
                return raw, obj, number, offset
            number += 1
            offset += size
            append((index, number, None, None, stub,
                    stub if rename is None else {**stub, "type": rename}))
            index += 1
    finally:
        stats.events = index
        stats.lines = number


def gather_text(lines: LineReader, readline: Callable[[int], bytes], limit: int, number: int,
                 offset: int) -> tuple[bytes, Any, int, int]:
    """:func:`gather_bare` for a run of a text log's events, each a line's whole rest after
    a prefix with a logcat or clock stamp (``lines._inline_text``): the next lines while each
    is plainly one more of the run's events with a prefix of the same shape as the line
    before it, so its stamp reads as :func:`~voicechat.eventlog.textscan.parse_head` reads
    it; each item exactly what :meth:`Builder.inline` would gather
    (``tests/eventlog/test_inline.py``); any other line goes back the whole way, but for a
    line with no ``{`` (the app's own lines between the events), which gives no entry and
    leaves the run as it is, and is read here the whole way (:meth:`LineReader.line`)."""
    builder = lines.builder
    line_of = lines.line
    app_line = lines.app_line
    kinds = builder.run_kinds(bare=True)
    direction = builder.run_dir
    stub_with = builder.stub_with
    first = builder.first_stamp
    assert stub_with is not None and direction is not None
    append = builder.run_items.append
    stats = builder.stats
    index = stats.events
    raw = b""
    shape: bytes | None = None  # the masked prefix the spans below are for
    form: str | None = None
    spans: tuple[tuple[int, int], ...] = ()
    bases: dict[bytes, float | None] = {}  # a stamp's whole seconds (its bytes) → seconds
    try:
        while True:
            raw = readline(limit)
            size = len(raw)
            cr = raw.find(b"\r")
            if size == limit or (cr != -1 and (cr != size - 2 or raw[-1] != NEWLINE)):
                return raw, UNPARSED, number, offset  # as lines._read_bytes: text may split it
            start = raw.find(b"{")
            if start == -1:
                if not raw:
                    return raw, UNPARSED, number, offset  # the end of the file
                # No "{" and no object pending (none is while a run is gathered): the whole
                # way finds no event on it, and the run goes on.
                number += 1
                offset += size
                if raw.isascii():
                    app_line(raw)
                else:
                    stats.lines = number
                    line_of(raw.decode("utf-8", "replace"), number)
                continue
            head = raw[:start]
            mask = head.translate(DIGITS_AS_ZERO)
            if mask != shape:
                # a prefix of another shape (or the first): its stamp's form, where the
                # prefix is ASCII (else its digits may be another script's) and the stamps
                # before it set the scale (a blank prefix has none: a JSON line, read there)
                if not head.isascii() or first is None:
                    return raw, UNPARSED, number, offset
                form, spans = head_plan(mask)
                if form != "logcat" and form != "clock":
                    return raw, UNPARSED, number, offset
                shape = mask
            rest = raw[start:].rstrip()
            # textscan.whole_rest, inlined (a call per line costs as much as one of its tests),
            # without its first test: orjson refuses what does not end with "}" anyway
            try:
                obj = _loads(rest)
                kind = obj["type"]  # only a dict takes a str key ...
                keeps, rename = kinds[kind]  # ... and only a str is one of kinds
            except (ValueError, LookupError, TypeError):
                return raw, UNPARSED, number, offset
            if rest.translate(_DIGITS_AS_NUL).find(_LONG_DIGITS) != -1:
                return raw, UNPARSED, number, offset  # the stdlib decides (whole_rest)
            if form == "logcat":
                (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5), (a6, b6) = spans
                whole = head[a1:b5]
                base = bases.get(whole, UNPARSED)
                if base is UNPARSED:
                    if len(bases) >= 4096:
                        bases.clear()
                    base = bases[whole] = base_seconds(
                        (head[a1:b1], head[a2:b2], head[a3:b3], head[a4:b4], head[a5:b5]))
                if base is None:
                    return raw, UNPARSED, number, offset
                seconds = base + float(b"0." + head[a6:b6])
            else:
                (a1, b1), (a2, b2), (a3, b3), (a4, b4) = spans
                hour, minute, second = int(head[a1:b1]), int(head[a2:b2]), int(head[a3:b3])
                if hour >= 24 or minute >= 60 or second >= 61:
                    return raw, UNPARSED, number, offset
                seconds = hour * 3600 + minute * 60 + second + float(b"0." + head[a4:b4])
            stub = stub_with(obj, kind, direction, keeps)
            if stub is None:
                return raw, UNPARSED, number, offset
            number += 1
            offset += size
            append((index, number, seconds - first, None, stub,
                    stub if rename is None else {**stub, "type": rename}))
            index += 1
    finally:
        stats.events = index
        stats.lines = number
