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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from voicechat.eventlog.dialects import (
    DialectTracker,
    client_event_dialect,
    infer_direction,
    server_event_dialect,
)
from voicechat.eventlog.entry import Entry, make_entry
from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import needs_redaction, redact_event
from voicechat.eventlog.skip import Skipper, Wants
from voicechat.eventlog.textscan import InlineScanner, parse_timestamp
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.frames import load_json

_loads = orjson.loads  # load_json's first try, called directly: once per line

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


class _Raw(NamedTuple):  # a tuple: built once per line, a dataclass costs several times more
    event: dict[str, Any]
    dir: Direction | None
    t: float | None
    stamp: str | None
    ours: bool


def unwrap(obj: dict[str, Any]) -> _Raw | None:
    """A bare event, our log record, or another logger's wrapper → the event and its metadata."""
    if "type" in obj and is_event(obj):
        return _Raw(obj, None, None, None, False)
    inner = obj.get("event")
    if isinstance(inner, dict) and is_event(inner):
        # Our own record, the common case: what the loop below finds first, found directly.
        direction = _direction(obj["dir"] if "dir" in obj else obj.get("direction"))
        t = obj.get("t")
        stamp = obj.get("ts")
        if not isinstance(stamp, str):
            stamp = next((obj[k] for k in ("timestamp", "time") if isinstance(obj.get(k), str)),
                         None)
        number = isinstance(t, int | float)
        return _Raw(inner, direction, float(t) if isinstance(t, int | float) else None, stamp,
                    number and "dir" in obj)
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


#: How :meth:`DialectTracker.canonical` treats every stub of one raw type and direction
#: (:func:`_stub_mapping`): returns it as is; as is unless the server speaks beta; as is once
#: the server's dialect is decided (a GA-only server type: it would decide it); or maps it.
_OWN, _OWN_UNLESS_BETA, _OWN_ONCE_DECIDED, _MAPPED = "own", "own-unless-beta", "own-once", "map"


def _stub_mapping(stub: dict[str, Any], direction: Direction) -> str:
    """What :meth:`DialectTracker.canonical` does with every stub of this raw type and
    direction, as one of :data:`_OWN` … :data:`_MAPPED`.

    A stub holds its type, top-level scalars and (a client event's) audio as a size; the
    dialect of a client event is read from its type, a ``session`` or a ``response`` object,
    the server's from its type or a ``session`` object (``session.created``/``updated``, never
    stubbed: the context reads them whole). So for a stub the answer follows from its type,
    its direction and (for a server event) the dialect decided so far.
    """
    if direction == "local":
        return _OWN
    if direction == "out":
        return _OWN if client_event_dialect(stub) is not Dialect.BETA else _MAPPED
    own = server_event_dialect(stub)
    if own is None:
        return _OWN_UNLESS_BETA
    return _OWN_ONCE_DECIDED if own is Dialect.GA else _MAPPED


class _Builder:
    """Turns raw finds into numbered, redacted, canonical entries with relative times."""

    def __init__(self, stats: ReadStats, skipper: Skipper | None) -> None:
        self.stats = stats
        self.first_stamp: float | None = None
        self.skipper = skipper
        #: (raw type, direction) → what the dialect mapping does with a stub of it.
        self._plain: dict[tuple[str, Direction], str] = {}

    def record(self, obj: dict[str, Any], line: int, text: str) -> Entry | None:
        """The entry for ``obj`` when it is plainly one of our records (``{"t": number,
        "ts": str, "dir": "in"|"out"|"local", "event": {"type": …}}``), else ``None``.

        The bulk of every log we write, so worth a path of its own: the same entry
        :func:`unwrap` and :meth:`entry` build (``tests/eventlog`` compares them), without the
        intermediate tuple and the generic wrapper search. Anything unusual (a ``type`` beside
        the record's keys, a number-like ``t`` that is not a plain float or int, a missing
        ``ts``, a nesting too deep to redact) goes the generic way.
        """
        event = obj.get("event")
        if event.__class__ is not dict or "type" in obj:
            return None
        kind = event.get("type")
        if kind.__class__ is not str or not _EVENT_TYPE_SEEN.get(kind):
            return None  # not a string, or a type not seen before: the generic path learns it
        direction = _DIRECTIONS.get(obj.get("dir"))  # type: ignore[arg-type]
        t = obj.get("t")
        stamp = obj.get("ts")
        if direction is None or (t.__class__ is not float and t.__class__ is not int) \
                or stamp.__class__ is not str:
            return None
        stats = self.stats
        try:
            skipper = self.skipper
            stub = None if skipper is None else skipper.stub_of(event, kind, direction)
            if stub is not None:
                event = stub  # what its reader needs of it, no payload: nothing to redact
                # A stub's canonical form depends on its type, direction and the dialect
                # decided so far only (see _stub_mapping): most are their own.
                plain = self._plain.get((kind, direction))
                if plain is None:
                    plain = self._plain[(kind, direction)] = _stub_mapping(stub, direction)
                if plain is _OWN or (plain is _OWN_UNLESS_BETA
                                     and stats.tracker.server is not Dialect.BETA) \
                        or (plain is _OWN_ONCE_DECIDED and stats.tracker.server is not None):
                    canonical = stub
                else:
                    canonical = stats.tracker.canonical(stub, direction)
            else:
                if needs_redaction(text, event):
                    event = redact_event(event)
                canonical = stats.tracker.canonical(event, direction)
        except RecursionError:
            return None  # the generic path meets it too, and skips the line as it always did
        kinds = stats.kinds
        kinds["voicechat"] = kinds.get("voicechat", 0) + 1
        index = stats.events
        stats.events = index + 1
        return make_entry(index, line, float(t), stamp, direction, event, canonical, False)

    def safe_entry(self, raw: _Raw, line: int, prefix: str | None, kind: str, *,
                   text: str | None = None, in_array: bool = False) -> Entry | None:
        """:meth:`entry`, or ``None`` for an event nested too deeply to walk (not a real one)."""
        try:
            return self.entry(raw, line, prefix, kind, text=text, in_array=in_array)
        except RecursionError:
            return None

    def entry(self, raw: _Raw, line: int, prefix: str | None, kind: str, *,
              text: str | None = None, in_array: bool = False) -> Entry:
        """``text``: the line the event was read from whole, so a line that cannot carry
        audio or a secret skips the redaction walk; ``None`` always redacts."""
        event = raw.event
        skipper = self.skipper
        stub = None if skipper is None else skipper.stub_of(event, event["type"], raw.dir)
        if stub is not None:
            event = stub  # its reader needs no more than its type and the declared fields
        elif text is None or needs_redaction(text, event):
            event = redact_event(event)
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
        stats = self.stats
        canonical = stats.tracker.canonical(event, direction)
        kinds = stats.kinds
        kinds[kind] = kinds.get(kind, 0) + 1
        index = stats.events
        stats.events = index + 1
        return make_entry(index, line, t, stamp, direction, event, canonical, in_array)


def read_entries(path: Path | str, stats: ReadStats | None = None, *,
                 wanted: Callable[[str], Wants] | None = None) -> Iterator[Entry]:
    """Stream the events of ``path``; raises :class:`LogReadError` if it cannot be opened.

    ``wanted``: what the caller reads of each canonical event type beyond its place in the
    stream (``None``: everything): ``True`` the whole event, else the top-level fields it reads
    (:data:`~voicechat.eventlog.skip.Wants`). An event of a type not read whole still comes
    out, numbered and timed as always, but as a stub holding its type and those fields (a
    client event's stub is the whole event, its audio as a size: see
    :mod:`voicechat.eventlog.skip`), built without the redaction walk or the dialect mapping.
    Only a caller that provably reads nothing else (the doctor) may pass it; replay, summaries
    and the observer show events whole and pass nothing.
    """
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
        builder = _Builder(stats, Skipper(wanted) if wanted is not None else None)
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


def _read_lines(handle: IO[str], stats: ReadStats, builder: _Builder) -> Iterator[Entry]:
    scanner = InlineScanner()
    record = builder.record
    readline = handle.readline
    pending = False  # scanner.has_pending, which only its feed below changes
    number = 0
    # The lines are read here, not by a generator of their own: one layer less per line.
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
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] == "{" and not pending:
            try:
                obj = _loads(stripped)
            except ValueError:  # orjson's error is one; the stdlib may still take the line
                try:
                    obj = load_json(stripped)
                except ValueError:
                    obj = None
            if isinstance(obj, dict):
                entry = record(obj, number, stripped)
                if entry is not None:
                    yield entry
                    continue
                raw = unwrap(obj)
                entry = None if raw is None else builder.safe_entry(
                    raw, number, None, "voicechat" if raw.ours else "jsonl", text=stripped)
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
        pending = scanner.has_pending
        if not produced and not pending:
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
