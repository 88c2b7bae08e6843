"""Turns what the reader finds into numbered, redacted, canonical entries (or runs of them).

Split from :mod:`voicechat.eventlog.reader` (which finds events in a file's lines) because the
building has a hot path of its own: :meth:`Builder.record`, our own record, the bulk of every
log we write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from voicechat.eventlog.dialects import client_event_dialect, infer_direction, server_event_dialect
from voicechat.eventlog.entry import Entry, make_entry
from voicechat.eventlog.record import Direction
from voicechat.eventlog.redact import needs_redaction, needs_redaction_bytes, redact_event
from voicechat.eventlog.run import Item, Run
from voicechat.eventlog.skip import Skipper
from voicechat.eventlog.stats import ReadStats
from voicechat.eventlog.textscan import parse_head, parse_timestamp
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import BETA_TO_GA_SERVER_NAMES

#: Event types already matched against the reader's pattern (``is_event``): a log has a few
#: dozen, each matched once.
EVENT_TYPE_SEEN: dict[str, bool] = {}
DIRECTIONS: dict[str, Direction] = {"in": "in", "out": "out", "local": "local"}


class Raw(NamedTuple):  # a tuple: built once per line, a dataclass costs several times more
    event: dict[str, Any]
    dir: Direction | None
    t: float | None
    stamp: str | None
    ours: bool


#: How :meth:`DialectTracker.canonical` treats every stub of one raw type and direction
#: (:func:`_stub_mapping`): returns it as is; as is unless the server speaks beta; as is once
#: the server's dialect is decided (a GA-only server type: it would decide it); or maps it.
_OWN, _OWN_UNLESS_BETA, _OWN_ONCE_DECIDED, _MAPPED = "own", "own-unless-beta", "own-once", "map"
_BETA = Dialect.BETA  # read once per line: a global, not an attribute of one


def _stub_is_own(mapping: str, server: Dialect | None) -> bool:
    """Whether a stub whose type and direction map as ``mapping`` (:func:`_stub_mapping`) is
    its own canonical form, the server's dialect decided so far being ``server``."""
    return mapping is _OWN or (mapping is _OWN_UNLESS_BETA and server is not _BETA) \
        or (mapping is _OWN_ONCE_DECIDED and server is not None)


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


#: What :meth:`Builder.record` knows of one raw type in one direction, worked out once: the
#: direction, the fields a stub keeps (``None``: read it whole), what the dialect mapping does
#: with such a stub (:func:`_stub_mapping`), whether it may join a run, and for a beta-only
#: server name, its GA name (the mapping of a stub of it: a copy renamed, see
#: :func:`~voicechat.protocol.mapping.server_event_to_canonical`).
class _Plan(NamedTuple):
    direction: Direction
    keeps: frozenset[str] | None
    mapping: str
    bulk: bool
    rename: str | None


class Builder:
    """Turns raw finds into numbered, redacted, canonical entries with relative times.

    ``runs``: the raw types per direction that :meth:`record` may gather into a :class:`Run`
    instead of building an entry each (``None``: never). A gathered event is one whose stub is
    its own canonical form, or a beta-only server name's (its canonical form the stub renamed),
    so a run item is exactly the entry's content.
    """

    def __init__(self, stats: ReadStats, skipper: Skipper | None,
                 runs: Mapping[str, frozenset[str]] | None = None) -> None:
        self.stats = stats
        self.first_stamp: float | None = None
        self.skipper = skipper
        self._runs = runs if skipper is not None else None  # only stubs are gathered
        #: The skipper's stub maker, read once per line (see :meth:`Skipper.stub_with`).
        self.stub_with = skipper.stub_with if skipper is not None else None
        #: raw type → raw direction → its plan.
        self._plans: dict[str, dict[str, _Plan]] = {}
        #: raw type → its plan for an event whose log does not say its direction (:meth:`inline`)
        self._bare_plans: dict[str, _Plan] = {}
        self._plans_made = 0  # plans learned so far: what :meth:`run_kinds` caches on
        self._run_kinds: dict[tuple[Direction, Dialect | None, int, bool],
                              dict[str, tuple[frozenset[str], str | None]]] = {}
        #: The run being gathered (its direction, the format it was read in and its items):
        #: see :meth:`take_run`.
        self.run_dir: Direction | None = None
        self.run_kind = "voicechat"
        self.run_items: list[Item] = []
        #: A finished run the caller must hand on before anything else (a new run began).
        self.ready: Run | None = None

    def _plan(self, kind: str, raw_dir: str) -> _Plan | None:
        if not EVENT_TYPE_SEEN.get(kind):
            return None  # a type not seen before: the generic path learns it
        direction = DIRECTIONS.get(raw_dir)
        if direction is None:
            return None
        keeps = None if self.skipper is None else self.skipper.keeps(kind)
        # A stub holds no session or response object, so what the mapping does with it
        # follows from its type and direction (see _stub_mapping).
        mapping = _stub_mapping({"type": kind}, direction) if keeps is not None else _MAPPED
        # A stub holds scalars only: its mapping from a beta-only name is a renamed copy.
        rename = BETA_TO_GA_SERVER_NAMES.get(kind) \
            if keeps is not None and direction == "in" and mapping is _MAPPED else None
        runs = self._runs
        bulk = runs is not None and keeps is not None \
            and (rename or kind) in runs.get(direction, ())
        plan = _Plan(direction, keeps, mapping, bulk, rename)
        if len(self._plans) < 4096:
            self._plans.setdefault(kind, {})[raw_dir] = plan
            self._plans_made += 1
        return plan

    def run_kinds(self, bare: bool = False
                  ) -> dict[str, tuple[frozenset[str], str | None]]:
        """The raw types that join the run being gathered exactly as :meth:`record` would
        gather them, with the fields each one's stub keeps and the GA name its canonical form
        takes (``None``: the stub is its own): its direction's bulk types whose stub is, with
        the dialect decided so far, its own canonical form, and, once the server's dialect is
        decided (mapping one then decides nothing), the beta-only names.

        What a caller that gathers a run's next lines itself (``lines._gather``) may take
        without :meth:`record`. Nothing that caller does decides the dialect (it maps
        nothing), so the answer holds for as long as it gathers. ``bare``: for bare events
        (:meth:`inline`), whose direction is the one their type names: only those types."""
        direction = self.run_dir
        assert direction is not None
        server = self.stats.tracker.server
        key = (direction, server, self._plans_made, bare)
        kinds = self._run_kinds.get(key)
        if kinds is None:
            kinds = {}
            for kind, by_dir in self._plans.items():
                plan = by_dir.get(direction)
                if plan is None or not plan.bulk or plan.keeps is None:
                    continue
                if bare and infer_direction(kind) != direction:
                    continue
                if _stub_is_own(plan.mapping, server):
                    kinds[kind] = (plan.keeps, None)
                elif plan.rename is not None and server is not None:
                    kinds[kind] = (plan.keeps, plan.rename)
            if len(self._run_kinds) >= 64:
                self._run_kinds.clear()
            self._run_kinds[key] = kinds
        return kinds

    def take_run(self) -> Run:
        """The run gathered so far, handed on; the next starts empty."""
        assert self.run_dir is not None
        kinds = self.stats.kinds  # every gathered item is counted here, as its run's kind
        kind = self.run_kind
        kinds[kind] = kinds.get(kind, 0) + len(self.run_items)
        run = Run(self.run_dir, self.run_items)
        self.run_dir = None
        self.run_items = []
        return run

    def take_ready(self) -> Run:
        """The finished run :meth:`record` set aside when a run of the other direction began."""
        ready = self.ready
        assert ready is not None
        self.ready = None
        return ready

    def record(self, obj: dict[str, Any], line: int,
               text: str | bytes) -> Entry | Literal[True] | None:
        """The entry for ``obj`` when it is plainly one of our records (``{"t": number,
        "ts": str, "dir": "in"|"out"|"local", "event": {"type": …}}``), ``True`` when it went
        into the run being gathered instead (:meth:`take_run`), else ``None``.

        The bulk of every log we write, so worth a path of its own: the same entry
        :func:`unwrap` and :meth:`entry` build (``tests/eventlog`` compares them), without the
        intermediate tuple and the generic wrapper search. Anything unusual (a ``type`` beside
        the record's keys, a number-like ``t`` that is not a plain float or int, a missing
        ``ts``, a ``dir`` that is not one of ours, a nesting too deep to redact) goes the
        generic way. ``text``: the line, stripped (its bytes, when it was read as bytes).
        """
        event = obj.get("event")
        if event.__class__ is not dict or "type" in obj:
            return None
        kind = event.get("type")
        raw_dir = obj.get("dir")
        if kind.__class__ is not str or raw_dir.__class__ is not str:
            return None
        by_dir = self._plans.get(kind)
        plan = by_dir.get(raw_dir) if by_dir is not None else None
        if plan is None:
            plan = self._plan(kind, raw_dir)
            if plan is None:
                return None
        t = obj.get("t")
        stamp = obj.get("ts")
        if (t.__class__ is not float and t.__class__ is not int) or stamp.__class__ is not str:
            return None
        direction, keeps, mapping, bulk, rename = plan
        stats = self.stats
        try:
            stub = None if keeps is None else \
                self.stub_with(event, kind, direction, keeps)  # type: ignore[misc]
            if stub is not None:
                event = stub  # what its reader needs of it, no payload: nothing to redact
                # A stub's canonical form depends on its type, direction and the dialect
                # decided so far only (see _stub_mapping): most are their own.
                if mapping is _OWN or _stub_is_own(mapping, stats.tracker.server):
                    canonical = stub
                else:
                    canonical = stats.tracker.canonical(stub, direction)
            else:
                if needs_redaction(text if isinstance(text, str) else text.decode(), event):
                    event = redact_event(event)
                canonical = stats.tracker.canonical(event, direction)
        except RecursionError:
            return None  # the generic path meets it too, and skips the line as it always did
        index = stats.events
        stats.events = index + 1
        if bulk and stub is not None and (canonical is stub or rename is not None):
            if direction != self.run_dir or self.run_kind != "voicechat":
                if self.run_dir is not None:
                    self.ready = self.take_run()  # the caller hands it on before this one
                self.run_dir = direction
                self.run_kind = "voicechat"
                # Counted when the run is handed on (take_run), but the kind takes its place
                # among the kinds now: on a tie the first seen is the log's format.
                stats.kinds.setdefault("voicechat", 0)
            self.run_items.append((index, line, float(t), stamp, stub, canonical))
            return True
        kinds = stats.kinds
        kinds["voicechat"] = kinds.get("voicechat", 0) + 1
        return make_entry(index, line, float(t), stamp, direction, event, canonical, False)

    def inline(self, obj: dict[str, Any], line: int, text: bytes, head: bytes | None,
               kind: str) -> Entry | Literal[True] | None:
        """:meth:`record` for an event that is the line's whole object (a bare event, its
        ``type`` a known event type), or the whole rest of a text line after ``prefix``: the
        entry :meth:`safe_entry` builds for ``Raw(obj, None, None, None, False)`` (``head``:
        the prefix's bytes, its timestamp read by :func:`parse_head`), or
        ``True`` when it joined the run being gathered (a run of one ``kind``, counted as
        such by :meth:`take_run`), or ``None``: the caller goes the whole way (a type not
        learned yet, a nesting too deep to redact), which then does what it always did.
        ``text``: the object's JSON bytes, for the redaction pre-check.

        Logs apps write are mostly bare events; the whole way (:func:`unwrap`, a wrapper
        search, an entry per line) costs more than decoding them. Each step is
        :meth:`entry`'s, in its order (a nesting too deep to walk skips the line before its
        timestamp is read, one too deep to map after): ``tests/eventlog/test_inline.py``
        compares the two."""
        event_type = obj["type"]
        plan = self._bare_plans.get(event_type)
        if plan is None:
            plan = self._plan(event_type, infer_direction(event_type))
            if plan is None:
                return None  # a type not seen before (or not an event's): the whole way
            if len(self._bare_plans) < 4096:
                self._bare_plans[event_type] = plan
        direction, keeps, mapping, bulk, rename = plan
        stats = self.stats
        try:
            stub = None if keeps is None else \
                self.stub_with(obj, event_type, direction, keeps)  # type: ignore[misc]
            if stub is not None:
                event = stub
            else:
                event = redact_event(obj) if needs_redaction_bytes(text, obj) else obj
        except RecursionError:
            return None
        t = stamp = None
        if head:
            parsed = parse_head(head)
            if parsed is not None:
                seconds, stamp = parsed
                if self.first_stamp is None:
                    self.first_stamp = seconds
                t = seconds - self.first_stamp
        try:
            if stub is not None and (mapping is _OWN
                                     or _stub_is_own(mapping, stats.tracker.server)):
                canonical = stub
            else:
                canonical = stats.tracker.canonical(event, direction)
        except RecursionError:
            return None
        index = stats.events
        stats.events = index + 1
        if bulk and stub is not None and (canonical is stub or rename is not None):
            if direction != self.run_dir or kind != self.run_kind:
                if self.run_dir is not None:
                    self.ready = self.take_run()  # the caller hands it on before this one
                self.run_dir = direction
                self.run_kind = kind
                stats.kinds.setdefault(kind, 0)  # its place among the kinds (see record)
            self.run_items.append((index, line, t, stamp, stub, canonical))
            return True
        kinds = stats.kinds
        kinds[kind] = kinds.get(kind, 0) + 1
        return make_entry(index, line, t, stamp, direction, event, canonical, False)

    def safe_entry(self, raw: Raw, line: int, prefix: str | None, kind: str, *,
                   text: str | None = None, in_array: bool = False) -> Entry | None:
        """:meth:`entry`, or ``None`` for an event nested too deeply to walk (not a real one)."""
        try:
            return self.entry(raw, line, prefix, kind, text=text, in_array=in_array)
        except RecursionError:
            return None

    def entry(self, raw: Raw, line: int, prefix: str | None, kind: str, *,
              text: str | None = None, in_array: bool = False) -> Entry:
        """``text``: the line the event was read from whole, so a line that cannot carry
        audio or a secret skips the redaction walk; ``None`` always redacts."""
        event = raw.event
        skipper = self.skipper
        raw_type = event["type"]
        # An event whose log does not say who sent it is the sender its type names, whether
        # stubbed or not (a stub keeps the type): so it is stubbed as that sender's.
        direction = raw.dir or infer_direction(raw_type)
        stub = None if skipper is None else skipper.stub_of(event, raw_type, direction)
        if stub is not None:
            event = stub  # its reader needs no more than its type and the declared fields
        elif text is None or needs_redaction(text, event):
            event = redact_event(event)
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
        if raw_type[:7] == "gemini.":  # (only frames reach this path: see gemini_frames)
            stats.gemini = True
        kinds = stats.kinds
        kinds[kind] = kinds.get(kind, 0) + 1
        index = stats.events
        stats.events = index + 1
        return make_entry(index, line, t, stamp, direction, event, canonical, in_array)


