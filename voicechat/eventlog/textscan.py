"""Find Realtime event JSON inside arbitrary text logs, one line at a time.

Android logcat, browser console dumps and home-made loggers print events inline after a
timestamp and a tag, sometimes pretty-printed over several lines. The scanner finds balanced
``{...}`` spans (string-aware, so braces inside transcripts do not confuse it), parses them, and
carries an unfinished object over to the next lines up to a cap, so memory stays bounded
whatever the file size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from voicechat.eventlog.jsliteral import parse_object_literal

_TOKENS = re.compile(r"[{}\"'`\\]")
#: digits as NUL, so a run of 19 (the shortest integer past 64 bits) is one ``in`` test (on the
#: UTF-8 bytes: ``bytes.translate`` is ~4x ``str.translate`` with a mapping)
_DIGITS_AS_NUL = bytes.maketrans(b"0123456789", b"\0" * 10)
_LONG_DIGITS = b"\0" * 19

#: An object still open after this many lines or characters was not JSON after all.
MAX_PENDING_LINES = 400
MAX_PENDING_CHARS = 2_000_000


class Found(NamedTuple):
    """A JSON object found in the text, with the line it started on and the text before it.

    ``json``: the text it was decoded from as JSON, for the redaction pre-check
    (:func:`~voicechat.eventlog.redact.needs_redaction` reads JSON text); ``None`` for an
    object literal (Node's inspect style), whose keys and quotes that check would not see.
    """

    obj: dict[str, Any]
    line: int
    prefix: str
    json: str | None = None


def _scan_object(text: str, start: int, ends: dict[int, int] | None = None) -> int:
    """Index just past the object opening at ``start``, or -1 when the text ends first.

    ``ends``, when given, learns the same answer for every brace the scan opens outside a
    string (its object ends where the depth falls back below it, or -1): a scan from such a
    brace would read the same tokens in the same state. :func:`find_objects` looks there
    before scanning again, so a line of 10 000 unclosed braces costs one scan, not 10 000 of
    them (it took 9 s; 20 000, 40 s).
    """
    depth = 0
    quote = ""  # the delimiter of the string we are in: " (JSON), ' or ` (Node's inspect)
    skip = -1  # position of a character escaped by a backslash
    opened: list[int] = []  # the braces open outside strings, innermost last
    for match in _TOKENS.finditer(text, start):
        pos = match.start()
        if pos == skip:
            continue
        ch = match.group()
        if quote:
            if ch == "\\":
                skip = pos + 1
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
            opened.append(pos)
        elif ch == "}":
            depth -= 1
            inner = opened.pop()
            if ends is not None:
                ends[inner] = pos + 1
            if depth == 0:
                return pos + 1
    if ends is not None:
        for inner in opened:
            ends[inner] = -1
    return -1


def _whole_rest(text: str, pos: int) -> tuple[dict[str, Any], str] | None:
    """``(obj, its JSON text)`` when everything from ``pos`` to the end of ``text`` (trailing
    whitespace aside) is one strict JSON object: most logcat and console lines end with their
    event.

    Then the scan would end at that object's last brace too (outside a JSON string there is no
    quote, backtick or backslash for it to read differently), and the stdlib would decode it to
    the same object, so this is the scan's answer without the scan (a third of a text line's
    cost). orjson decodes it, unless the text holds a run of :data:`_LONG_DIGITS` digits: it
    reads an integer past 64 bits as a float, where the stdlib keeps it exact.
    """
    rest = text[pos:].rstrip()
    if rest[-1:] != "}":
        return None
    try:
        obj = orjson.loads(rest)
    except orjson.JSONDecodeError:
        return None
    if obj.__class__ is not dict \
            or _LONG_DIGITS in rest.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_NUL):
        return None  # (the second: the stdlib decides, see above)
    return obj, rest


def whole_rest(rest: bytes) -> dict[str, Any] | None:
    """:func:`_whole_rest` on bytes: ``rest`` a line's bytes from its first ``{``, trailing
    ASCII whitespace stripped; the object, or ``None`` (then the scan decides). The line
    reader's way for a line read as bytes (``lines._inline_text``)."""
    if rest[-1:] != b"}":
        return None
    try:
        obj = orjson.loads(rest)
    except orjson.JSONDecodeError:
        return None
    if obj.__class__ is not dict or rest.translate(_DIGITS_AS_NUL).find(_LONG_DIGITS) != -1:
        return None
    return obj


#: How many of a line's braces :func:`find_objects` tries :func:`_whole_rest` at.
_WHOLE_REST_TRIES = 8

#: an object found: its offset, the object, and its JSON text (``None``: an object literal)
FoundAt = tuple[int, dict[str, Any], str | None]


def find_objects(text: str) -> tuple[list[FoundAt], int | None]:
    """Top-level JSON objects in ``text`` as ``(offset, obj, json_text)``, and where the first
    unfinished one starts. Objects after an unfinished start are still reported: the start may
    have been a stray brace, and callers decide whether to wait for more lines."""
    found: list[FoundAt] = []
    pending: int | None = None
    ends: dict[int, int] = {}  # what scans learnt of later braces (see _scan_object)
    pos = text.find("{")
    # _whole_rest copies the rest of the text: tried at every brace of a line of 200 000, it
    # copied 20 GB. It is only the scan's answer sooner, so the first few braces try it.
    tries = _WHOLE_REST_TRIES if text.rstrip().endswith("}") else 0
    while pos != -1:
        whole = _whole_rest(text, pos) if tries > 0 else None
        tries -= 1
        if whole is not None:
            found.append((pos, *whole))
            break
        end = ends.get(pos)
        if end is None:
            end = _scan_object(text, pos, ends)
        if end == -1:
            if pending is None:
                pending = pos
            pos = text.find("{", pos + 1)
            continue
        span = text[pos:end]
        source: str | None = span
        try:
            obj = json.loads(span)
        except (ValueError, RecursionError):
            obj = parse_object_literal(span)
            if obj is None:
                pos = text.find("{", pos + 1)
                continue
            source = None  # an object literal: no JSON text
        if isinstance(obj, dict):
            found.append((pos, obj, source))
        pos = text.find("{", end)
    return found, pending


#: The most of a line before an object kept as the object's prefix (read for a timestamp, at
#: the line's start): a line of 100 000 objects kept each one's whole line before it, 10 GB.
MAX_PREFIX_CHARS = 4096


def _prefixes(text: str, found: list[FoundAt]) -> list[str]:
    """The text from the start of each found object's line to the object, at most
    :data:`MAX_PREFIX_CHARS` of it (its head, where a timestamp is), in one pass."""
    prefixes = []
    start = previous = 0
    for off, _obj, _source in found:
        newline = text.rfind("\n", previous, off)
        if newline != -1:
            start = newline + 1
        prefixes.append(text[start:min(off, start + MAX_PREFIX_CHARS)])
        previous = off
    return prefixes


def _continues(line: str) -> bool:
    """Whether ``line`` can continue a pretty-printed object (indented, or a closing brace)."""
    return bool(line) and line[0] in " \t}]\"\r\n"


class InlineScanner:
    """Feed lines; get the objects that completed on them (multi-line objects included)."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._pending_line = 0
        self._pending_chars = 0
        self._pending_prefix = ""
        self.abandoned_lines = 0

    def feed(self, line: str, number: int) -> list[Found]:
        if self._pending and not _continues(line):
            # a new log line: the open "{" was a stray brace, not a multi-line object
            self.abandoned_lines += len(self._pending)
            self._reset()
        if self._pending:
            self._pending.append(line)
            self._pending_chars += len(line)
            text = "".join(self._pending)
            found, pending = find_objects(text)
            if found and found[0][0] == 0:  # the carried-over object is complete
                start_line = self._pending_line
                self._reset()
                result = [Found(found[0][1], start_line, self._pending_prefix, found[0][2])]
                rest = [Found(obj, number, prefix, source) for (_off, obj, source), prefix
                        in zip(found[1:], _prefixes(text, found[1:]), strict=True)]
                if pending is not None:
                    self._start_pending(text[pending:], number)
                    self._pending_prefix = ""
                return result + rest
            if (len(self._pending) > MAX_PENDING_LINES
                    or self._pending_chars > MAX_PENDING_CHARS):
                self.abandoned_lines += len(self._pending)
                self._reset()
            return []
        if "{" not in line:
            return []
        found, pending = find_objects(line)
        result = [Found(obj, number, prefix, source) for (_off, obj, source), prefix
                  in zip(found, _prefixes(line, found), strict=True)]
        if pending is not None and (not found or pending > found[-1][0]):
            self._start_pending(line[pending:], number)
            self._pending_prefix = line[:pending]
        return result

    def _start_pending(self, text: str, number: int) -> None:
        self._pending = [text]
        self._pending_line = number
        self._pending_chars = len(text)

    def _reset(self) -> None:
        self._pending = []
        self._pending_chars = 0

    @property
    def pending_lines(self) -> int:
        return len(self._pending)

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)


# --- timestamps -------------------------------------------------------------------------------

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)
_LOGCAT = re.compile(r"(?<!\d)(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})")
#: ``[   0.210]``: seconds since the start, as test runners and many app loggers print them.
_SECONDS = re.compile(r"^\s*\[\s*(\d+\.\d+)\s*\]")
_CLOCK = re.compile(r"(?<![\d:])(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?(?![\d])")


def _fraction(digits: str | None) -> float:
    return float("0." + digits) if digits else 0.0


def _datetime(year: int, month: int, day: int, hour: int, minute: int,
              second: int) -> datetime | None:
    """The UTC time of these fields, or ``None`` when they name none (``10:00:60``, month 13):
    such a stamp is read as no stamp of that form, never as a reason to stop reading."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


#: the UTC epoch seconds of a stamp's fields up to its minute (its second 0), or ``None`` when
#: they name no time: a log's lines come dozens to the second, and building a ``datetime`` per
#: line was most of reading a timestamp (logcat 9.9 -> 6.1 us a line); per second it still
#: was, on a text log's 50 MB (a new second every few lines: ~20k ``datetime`` built), so the
#: seconds are added to the minute's. Bounded: cleared when full.
_BASES: dict[tuple[int | str | bytes | None, ...], float | None] = {}
_BASES_MAX = 4096
_MISSING = object()


def _base_seconds(fields: tuple[str | bytes, ...], year: int | None = None) -> float | None:
    """:func:`_datetime` of ``fields`` (digits; the year first unless given) as epoch seconds.

    Its minute's (second 0) plus the seconds, exactly: a UTC ``datetime``'s ``timestamp()``
    is a whole number of seconds, and one within the minute (0-59) is a time of it; a second
    past 59 names no time, as it does for :func:`_datetime`, and a minute that names none
    (month 13 …) names none with any second (``tests/eventlog/test_textscan.py``)."""
    second = int(fields[-1])
    key = (year, *fields[:-1])
    base = _BASES.get(key, _MISSING)
    if base is _MISSING:
        numbers = [int(g) for g in fields[:-1]]
        numbers.append(0)  # the minute's own second
        stamp = _datetime(year, *numbers) if year is not None else _datetime(*numbers)
        base = None if stamp is None else stamp.timestamp()
        if len(_BASES) >= _BASES_MAX:
            _BASES.clear()
        _BASES[key] = base
    if base is None or second > 59:
        return None
    return base + second  # type: ignore[operator]


#: How much of a line's head a timestamp is looked for in by :func:`newest_stamp` (an app's
#: message may hold other dates).
STAMP_HEAD = 64


def newest_stamp(lines: Iterable[str | bytes]) -> float | None:
    """The timestamp (seconds) of the last of ``lines`` that starts with one, read from its
    first :data:`STAMP_HEAD` characters; a ``bytes`` line is ASCII (``LineReader.app_line``)."""
    for line in reversed(list(lines)):
        text = line.decode() if isinstance(line, bytes) else line
        parsed = parse_timestamp(text[:STAMP_HEAD])
        if parsed is not None:
            return parsed[0]
    return None


def parse_timestamp(prefix: str) -> tuple[float, str | None] | None:
    """Seconds (on some fixed scale) and, for dated forms, a UTC ISO string; ``None`` if absent.

    Recognises ISO 8601 (``2026-11-21T10:00:00.123Z``, ``2026-11-21 10:00:00,123``), logcat
    (``11-21 10:00:00.123``) and bare clock times (``[10:00:00.123]``). Only differences
    between timestamps matter to the doctor.
    """
    m = _ISO.search(prefix)
    base = _base_seconds(m.group(1, 2, 3, 4, 5, 6)) if m else None
    if m and base is not None:
        zone = m.group(8)
        seconds = base + _fraction(m.group(7))
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        try:
            iso = datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            # a stamp at the calendar's edge whose zone moves it out (0001-01-01T00:00+05:30
            # is year 0 in UTC: hypothesis, 11-28): its seconds still order, no UTC to name
            return seconds, None
        return seconds, iso.strftime("%Y-%m-%dT%H:%M:%S.") + f"{iso.microsecond // 1000:03d}Z"
    m = _LOGCAT.search(prefix)
    # (a 5-tuple key: never the same as an ISO stamp's 6)
    base = _base_seconds(m.group(1, 2, 3, 4, 5), year=2000) if m else None
    if m and base is not None:
        return base + _fraction(m.group(6)), None
    m = _CLOCK.search(prefix)
    if m:
        hour, minute, second = (int(g) for g in m.groups()[:3])
        if hour < 24 and minute < 60 and second < 61:
            return hour * 3600 + minute * 60 + second + _fraction(m.group(4)), None
    m = _SECONDS.match(prefix)
    if m:
        return float(m.group(1)), None
    return None


#: digits as ``0``: a text line's prefix with its digits masked, the key of :data:`_PLANS`
DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
#: masked prefix → how :func:`parse_timestamp` reads every prefix of that shape: ``(form,
#: spans)``, form ``"logcat"`` or ``"clock"`` with the spans of that form's groups, ``"none"``
#: (no form matches), ``None`` (read it the whole way). Bounded: cleared when full.
_PLANS: dict[bytes, tuple[str | None, tuple[tuple[int, int], ...]]] = {}
_PLANS_MAX = 4096


def _plan_of(mask: str) -> tuple[str | None, tuple[tuple[int, int], ...]]:
    if _ISO.search(mask) is not None:
        return None, ()
    m = _LOGCAT.search(mask)
    if m is not None:
        return "logcat", tuple(m.span(k) for k in range(1, 7))
    m = _CLOCK.search(mask)
    if m is not None:
        return ("clock", tuple(m.span(k) for k in range(1, 5))) if m.group(4) else (None, ())
    if _SECONDS.match(mask) is not None:
        return None, ()
    return "none", ()


def head_plan(mask: bytes) -> tuple[str | None, tuple[tuple[int, int], ...]]:
    """How :func:`parse_head` reads a prefix whose digits masked as ``0`` are ``mask`` (an
    ASCII prefix's): see :data:`_PLANS`."""
    plan = _PLANS.get(mask)
    if plan is None:
        plan = _plan_of(mask.decode())
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[mask] = plan
    return plan


def base_seconds(fields: tuple[bytes, ...]) -> float | None:
    """A logcat stamp's whole seconds (month, day, hour, minute, second), as
    :func:`parse_timestamp` reads them."""
    return _base_seconds(fields, year=2000)


#: :func:`parse_head`'s logcat bases: a stamp's whole-second bytes → :func:`base_seconds`
_HEAD_BASES: dict[bytes, Any] = {}


def parse_head(head: bytes) -> tuple[float, str | None] | None:
    """:func:`parse_timestamp` of a text line's prefix, given as its bytes (``head``,
    decoded as the line reader decodes a line): the same answer, with the forms' searches
    run once per shape of prefix.

    Every form (:data:`_ISO` … :data:`_SECONDS`) tells characters apart only as a digit or
    as one given non-digit, so where each matches in an ASCII prefix follows from the prefix
    with its digits masked (a logcat app's prefixes differ only in their digits): the
    searches run on the mask, once; the values are read from the prefix's own digits. What
    the forms' values decide (a stamp naming no time falls through to the next form) is
    read the whole way, as is an ISO stamp (its zone and ISO string) and a non-ASCII
    prefix (``\\d`` takes other scripts' digits)."""
    if not head.isascii():
        return parse_timestamp(head.decode("utf-8", "replace"))
    prefix = head  # ASCII: its bytes are its characters; int() and float() take bytes
    mask = head.translate(DIGITS_AS_ZERO)
    plan = _PLANS.get(mask)  # head_plan's lookup, without its call when known
    form, spans = head_plan(mask) if plan is None else plan
    if form == "logcat":
        (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5), (a6, b6) = spans
        # Keyed by the stamp's whole-second bytes, one slice (as lines._gather_text): the
        # fields are where the logcat form puts them in those bytes, whatever the shape.
        whole = prefix[a1:b5]
        base = _HEAD_BASES.get(whole, _MISSING)
        if base is _MISSING:
            base = _base_seconds((prefix[a1:b1], prefix[a2:b2], prefix[a3:b3],
                                  prefix[a4:b4], prefix[a5:b5]), year=2000)
            if len(_HEAD_BASES) >= _BASES_MAX:
                _HEAD_BASES.clear()
            _HEAD_BASES[whole] = base
        if base is not None:
            return base + float(b"0." + prefix[a6:b6]), None
    elif form == "clock":
        (a1, b1), (a2, b2), (a3, b3), (a4, b4) = spans
        hour, minute, second = int(prefix[a1:b1]), int(prefix[a2:b2]), int(prefix[a3:b3])
        if hour < 24 and minute < 60 and second < 61:
            return hour * 3600 + minute * 60 + second + float(b"0." + prefix[a4:b4]), None
    elif form == "none":
        return None
    return parse_timestamp(head.decode())
