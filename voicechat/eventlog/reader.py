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

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from voicechat.eventlog.dialects import DialectTracker, infer_direction
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import AUDIO_DELTA_TYPES, redact_event
from voicechat.eventlog.textscan import InlineScanner, parse_timestamp
from voicechat.protocol.frames import load_json

_EVENT_TYPE = re.compile(
    r"^(?:error|(?:session|transcription_session|input_audio_buffer|output_audio_buffer"
    r"|conversation|response|rate_limits|local|mcp_list_tools)\.[a-z_.]+)$"
)
_WRAPPER_KEYS = ("event", "data", "message", "payload", "msg", "body")
_IN_WORDS = frozenset({"in", "recv", "received", "receive", "incoming", "server",
                       "server_to_client", "s2c", "rx", "inbound"})
_OUT_WORDS = frozenset({"out", "send", "sent", "outgoing", "client", "client_to_server", "c2s",
                        "tx", "outbound"})
_CHUNK = 1 << 20
#: A line longer than this is skipped without being held in memory: no Realtime event is that
#: big (audio travels in chunks of a few KB), and a 200 MB one-line file must not cost 1 GB.
MAX_LINE_CHARS = 16 << 20

FORMAT_NAMES = {
    "voicechat": "voicechat JSONL event log",
    "jsonl": "JSONL of events",
    "json-array": "JSON array of events",
    "text": "text log with inline events",
    "empty": "no events found",
}


class LogReadError(Exception):
    """The input cannot be read at all (missing, a directory, permission denied)."""


@dataclass
class ReadStats:
    """Counts for the report: how much of the file was events and how much was skipped."""

    lines: int = 0
    events: int = 0
    skipped_lines: int = 0
    torn_last_line: bool = False
    #: Lines longer than :data:`MAX_LINE_CHARS`, skipped unread (also counted in skipped_lines).
    oversized_lines: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    tracker: DialectTracker = field(default_factory=DialectTracker)

    @property
    def format(self) -> str:
        if not self.kinds:
            return "empty"
        return max(self.kinds.items(), key=lambda kv: kv[1])[0]

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]


_EVENT_TYPE_SEEN: dict[str, bool] = {}


def is_event(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("type")
    if not isinstance(kind, str):
        return False
    known = _EVENT_TYPE_SEEN.get(kind)
    if known is None:  # a log has a few dozen types: match each once, not once per line
        known = bool(_EVENT_TYPE.match(kind))
        if len(_EVENT_TYPE_SEEN) < 4096:
            _EVENT_TYPE_SEEN[kind] = known
    return known


#: What in a raw line can make :func:`redact_event` change the event: an ``audio`` string, an
#: audio delta's payload, or anything credential-shaped (checked lower-cased). A line with none
#: of these, and no ``\u`` escape that could spell one, is already safe and skips the (costly)
#: deep walk.
_AUDIO_PAYLOAD = re.compile(r'"audio"\s*:\s*"')


def needs_redaction(text: str, event: dict[str, Any]) -> bool:
    """Whether ``event``, read from ``text``, may carry audio or a secret.

    False positives only cost the walk; a false negative would leak, so anything unusual
    (an escape, a credential-ish word anywhere in the line) answers yes.
    """
    if event.get("type") in AUDIO_DELTA_TYPES and isinstance(event.get("delta"), str):
        return True
    if _AUDIO_PAYLOAD.search(text) is not None or "\\u" in text:
        return True
    lowered = text.lower()
    return ("key" in lowered or "token" in lowered or "secret" in lowered or "sk-" in lowered
            or "ek_" in lowered or "bearer" in lowered or "authorization" in lowered
            or "password" in lowered or "://" in lowered)


_DIRECTIONS: dict[str, Direction] = {"in": "in", "out": "out", "local": "local"}


def _direction(value: Any) -> Direction | None:
    exact = _DIRECTIONS.get(value) if isinstance(value, str) else None
    if exact is not None:
        return exact
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "local":
            return "local"
        if word in _IN_WORDS:
            return "in"
        if word in _OUT_WORDS:
            return "out"
    return None


@dataclass(frozen=True, slots=True)
class _Raw:
    event: dict[str, Any]
    dir: Direction | None
    t: float | None
    stamp: str | None
    ours: bool


def unwrap(obj: dict[str, Any]) -> _Raw | None:
    """A bare event, our log record, or another logger's wrapper → the event and its metadata."""
    if is_event(obj):
        return _Raw(obj, None, None, None, False)
    for key in _WRAPPER_KEYS:
        inner = obj.get(key)
        if inner is None:
            continue
        if isinstance(inner, str) and inner.lstrip().startswith("{"):
            try:
                inner = json.loads(inner)
            except ValueError:
                continue
        if is_event(inner):
            direction = _direction(obj.get("dir", obj.get("direction")))
            t = obj.get("t")
            stamp = obj.get("ts")
            if not isinstance(stamp, str):
                stamp = next((obj[k] for k in ("timestamp", "time") if isinstance(obj.get(k), str)),
                             None)
            ours = key == "event" and "dir" in obj and isinstance(t, int | float)
            assert isinstance(inner, dict)  # is_event checked it
            return _Raw(inner, direction, float(t) if isinstance(t, int | float) else None, stamp,
                        ours)
    return None


class _Builder:
    """Turns raw finds into numbered, redacted, canonical entries with relative times."""

    def __init__(self, stats: ReadStats) -> None:
        self.stats = stats
        self.first_stamp: float | None = None

    def safe_entry(self, raw: _Raw, line: int, prefix: str | None, kind: str, *,
                   redact: bool = True, in_array: bool = False) -> Entry | None:
        """:meth:`entry`, or ``None`` for an event nested too deeply to walk (not a real one)."""
        try:
            return self.entry(raw, line, prefix, kind, redact=redact, in_array=in_array)
        except RecursionError:
            return None

    def entry(self, raw: _Raw, line: int, prefix: str | None, kind: str, *,
              redact: bool = True, in_array: bool = False) -> Entry:
        event = redact_event(raw.event) if redact else raw.event
        kind_name = event["type"]
        direction = raw.dir or infer_direction(kind_name)
        t = raw.t
        stamp = raw.stamp
        if t is None:
            parsed = parse_timestamp(stamp) if stamp else None
            if parsed is None and prefix:
                parsed = parse_timestamp(prefix)
            if parsed is not None:
                seconds, iso = parsed
                if self.first_stamp is None:
                    self.first_stamp = seconds
                t = seconds - self.first_stamp
                stamp = iso or stamp
        canonical = self.stats.tracker.canonical(event, direction)
        self.stats.kinds[kind] = self.stats.kinds.get(kind, 0) + 1
        index = self.stats.events
        self.stats.events += 1
        return Entry(index=index, line=line, t=t, ts=stamp, dir=direction, event=event,
                     canonical=canonical, in_array=in_array)


def read_entries(path: Path | str, stats: ReadStats | None = None) -> Iterator[Entry]:
    """Stream the events of ``path``; raises :class:`LogReadError` if it cannot be opened."""
    stats = stats if stats is not None else ReadStats()
    path = Path(path)
    try:
        handle = open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
    except FileNotFoundError as exc:
        raise LogReadError(f"{path}: no such file. Check the path of the log.") from exc
    except IsADirectoryError as exc:
        raise LogReadError(f"{path} is a directory; pass the log file inside it.") from exc
    except PermissionError as exc:
        raise LogReadError(f"{path}: permission denied. Check the file's permissions.") from exc
    except OSError as exc:
        raise LogReadError(f"{path}: cannot open ({exc.strerror}).") from exc
    with handle:
        first = _peek(handle)
        builder = _Builder(stats)
        if first == "[" and _opens_array_of_objects(handle):
            yield from _read_array(handle, stats, builder)
        else:
            yield from _read_lines(handle, stats, builder)


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


def _bounded_lines(handle: IO[str], stats: ReadStats) -> Iterator[tuple[int, str]]:
    """``(number, line)`` like iterating the file, except that a line over
    :data:`MAX_LINE_CHARS` is read past in chunks, counted, and never held whole."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
            while True:
                rest = handle.readline(_CHUNK)
                if not rest or rest.endswith("\n"):
                    break
            stats.oversized_lines += 1
            stats.skipped_lines += 1
            stats.lines = number
            continue
        yield number, line


def _read_lines(handle: IO[str], stats: ReadStats, builder: _Builder) -> Iterator[Entry]:
    scanner = InlineScanner()
    for number, line in _bounded_lines(handle, stats):
        stats.lines = number
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] == "{" and not scanner.has_pending:
            try:
                obj = load_json(stripped)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                raw = unwrap(obj)
                entry = None if raw is None else builder.safe_entry(
                    raw, number, None, "voicechat" if raw.ours else "jsonl",
                    redact=needs_redaction(stripped, raw.event))
                if entry is not None:
                    yield entry
                    continue
            elif not line.endswith(("\n", "\r")):
                stats.torn_last_line = True  # killed mid-write: the last line is incomplete
        produced = False
        for found in scanner.feed(line, number):
            raw = unwrap(found.obj)
            entry = None if raw is None else builder.safe_entry(raw, found.line, found.prefix,
                                                                "text")
            if entry is not None:
                produced = True
                yield entry
        if not produced and not scanner.has_pending:
            stats.skipped_lines += 1
    stats.skipped_lines += scanner.abandoned_lines + scanner.pending_lines


def _read_array(handle: IO[str], stats: ReadStats, builder: _Builder) -> Iterator[Entry]:
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
