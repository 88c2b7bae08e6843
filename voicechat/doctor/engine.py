"""The one streaming rule engine: ``doctor`` runs it over a file, ``proxy`` and ``watch`` live.

Both paths go through :class:`RuleEngine`, so a problem has the same rule id, title, evidence
wording and fix whether it was found in a log after the fact or the moment it happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from voicechat.doctor.context import Context
from voicechat.doctor.model import Finding, LatencySection, Report
from voicechat.doctor.rules import RULES, Rule
from voicechat.doctor.rules.base import BULK_TYPES
from voicechat.doctor.rules.latency import SlowFirstAudio
from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.reader import ReadStats, read_stream
from voicechat.eventlog.run import Run
from voicechat.eventlog.skip import Wants

#: Entries (or runs) read ahead of the rules at a time by :meth:`RuleEngine.feed_all`.
_BATCH = 64

#: What reading a field of an unexpected type raises (a number where a list was, a list as a
#: part's type, an infinite duration). A foreign or hand-edited log may hold anything: such an
#: event is skipped by the rule (or the context) that could not read it, counted in the report,
#: and the rest of the log is still diagnosed. (Zero cost while nothing raises.)
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


class Occurrence(NamedTuple):
    """A rule's pattern just completed: what a live view shows at once."""

    rule: str
    title: str
    detail: str  # the newest evidence line ("t=3.200s response.cancel with no active …")
    fix: str
    count: int  # occurrences of this rule so far, this one included


class RuleEngine:
    """Feeds entries through the session context and every rule, one entry at a time."""

    def __init__(self, tracker: DialectTracker) -> None:
        self.context = Context()
        self.rules = [rule() for rule in RULES]
        self._tracker = tracker
        self._dispatch = _Dispatch(self.rules)
        #: How many times a rule or the context could not read an event (:data:`MALFORMED`),
        #: and where that happened first (``line 12, response.done``).
        self.unreadable = 0
        self.first_unreadable: str | None = None

    def _unreadable(self, where: Entry | Run | None) -> None:
        self.unreadable += 1
        if self.first_unreadable is None:
            if isinstance(where, Entry):
                self.first_unreadable = f"line {where.line}, {where.type}"
            elif isinstance(where, Run) and len(where):
                self.first_unreadable = f"the run from line {where.entry(0).line}"
            else:
                self.first_unreadable = "the end of the log"

    def wants(self, kind: str) -> Wants:
        """What of an entry of canonical type ``kind`` is read beyond its type, direction,
        place and time (by a rule or the context): ``True`` all of it, else the top-level
        fields (``Rule.reads``). What :func:`diagnose` lets the reader stub out."""
        if kind in Context.READS:
            return True
        fields: frozenset[str] = frozenset()
        for rule in self._dispatch.rules_for(kind):
            read = rule.reads.get(kind)
            if read is None:
                return True
            fields |= read
        return fields

    def feed(self, entry: Entry) -> list[Rule]:
        """Look at one entry; the rules whose count rose on it (usually none)."""
        ctx = self.context
        ctx.dialect = self._tracker.server
        try:
            ctx.update(entry)
        except MALFORMED:
            self._unreadable(entry)
            return []
        risen: list[Rule] = []
        for rule in self._dispatch.rules_for(entry.type):
            before = rule.count
            try:
                rule.feed(entry, ctx)
            except MALFORMED:
                self._unreadable(entry)
            if rule.count != before:
                risen.append(rule)
        return risen

    def feed_all(self, entries: Iterable[Entry | Run]) -> None:
        """:meth:`feed` for a whole file, where no one watches the counts rise: the same work
        without the per-entry bookkeeping. A log is mostly runs of appends going out and
        output deltas coming in (:data:`~voicechat.doctor.rules.base.BULK_TYPES`); such a run
        is given to the context and to each rule that reads those types in one call each
        (``Rule.feed_run``), as the reader gathered it (:func:`read_stream`) or gathered here
        from entries, and everything else entry by entry, lookups hoisted."""
        ctx = self.context
        update = ctx.update
        tracker = self._tracker
        feeds = self._dispatch.feeds  # each type's rules' bound ``feed``, read without a call
        feeds_for = self._dispatch.feeds_for
        bulk_in, bulk_out = BULK_TYPES["in"], BULK_TYPES["out"]
        run: list[Entry] = []
        run_dir = ""
        feed_run = self._feed_run
        for batch in _read_ahead(entries, tracker):
            for entry in batch:
                if isinstance(entry, Run):
                    if run:
                        feed_run(Run.of_entries(run))
                        run = []
                        run_dir = ""
                    feed_run(entry)
                    continue
                kind = entry.type
                direction = entry.dir
                if (kind in bulk_in and direction == "in") or (kind in bulk_out
                                                               and direction == "out"):
                    if direction == run_dir:
                        run.append(entry)
                        continue
                    if run:
                        feed_run(Run.of_entries(run))
                    run = [entry]
                    run_dir = direction
                    continue
                if run:
                    feed_run(Run.of_entries(run))
                    run = []
                    run_dir = ""
                ctx.dialect = tracker.server
                try:
                    update(entry)
                except MALFORMED:
                    self._unreadable(entry)
                    continue
                found = feeds.get(kind)
                if found is None:
                    found = feeds_for(kind)
                for feed in found:
                    try:
                        feed(entry, ctx)
                    except MALFORMED:
                        self._unreadable(entry)
        if run:
            feed_run(Run.of_entries(run))

    def _feed_run(self, run: Run) -> None:
        """One run of bulk entries (one direction) through the context and the rules."""
        ctx = self.context
        ctx.dialect = self._tracker.server  # read by no rule on a bulk type; kept in step
        try:
            ctx.update_run(run)
        except MALFORMED:
            self._unreadable(run)
            return
        for rule in self._dispatch.rules_for_run(run.dir):
            try:
                rule.feed_run(run, ctx)
            except MALFORMED:
                self._unreadable(run)

    def conclude(self) -> list[Rule]:
        """Let end-of-stream rules decide; the rules whose count rose doing so."""
        ctx = self.context
        ctx.dialect = self._tracker.server
        risen: list[Rule] = []
        for rule in self.rules:
            before = rule.count
            try:
                rule.conclude(ctx)
            except MALFORMED:  # on what an unreadable event left in the rule's state
                self._unreadable(None)
            if rule.count != before:
                risen.append(rule)
        return risen

    def occurrence(self, rule: Rule, fallback: str) -> Occurrence:
        """What to show for ``rule`` right after its count rose."""
        # Evidence is capped (MAX_EVIDENCE); past the cap the occurrence still shows, with the
        # fallback locating it.
        detail = rule.evidence[-1].detail if len(rule.evidence) == rule.count else fallback
        return Occurrence(rule.id, rule.title, detail, rule.fix(self.context), rule.count)

    def findings(self) -> list[Finding]:
        """Every rule's verdict, once the stream has ended and :meth:`conclude` ran."""
        findings = []
        for rule in self.rules:
            try:
                finding = rule.verdict(self.context)
            except MALFORMED:
                self._unreadable(None)
                continue
            if finding is not None:
                findings.append(finding)
        return findings


def _read_ahead(entries: Iterable[Entry | Run], tracker: DialectTracker
                ) -> Iterator[list[Entry | Run]]:
    """``entries`` in batches of :data:`_BATCH` once the server's dialect is decided, one by
    one until then.

    Reading a batch, then running the rules over it, costs ~5 % less than interleaving the
    two item by item (bench_doctor: the reader's and the rules' working sets evict each other;
    small batches keep each one warm). But the rules read the dialect decided *so far*
    (``ctx.dialect``), which reading ahead would move: so items come one at a time until it
    is decided, after which it never changes."""
    source = iter(entries)
    for entry in source:
        yield [entry]
        if tracker.server is not None:
            break
    while batch := list(islice(source, _BATCH)):
        yield batch


def diagnose_entries(entries: Iterable[Entry | Run], stats: ReadStats, source: str,
                     engine: RuleEngine | None = None) -> Report:
    """Feed ``entries`` (a stream) through ``engine`` (a new one by default) and build the
    report."""
    engine = engine if engine is not None else RuleEngine(stats.tracker)
    engine.feed_all(entries)
    engine.context.timeline_end = stats.last_line_t  # known once the file is read
    engine.conclude()
    findings = engine.findings()
    return Report(
        source=source,
        format=stats.format_name,
        dialect=_dialect_name(stats, engine.context),
        events=stats.events,
        lines=stats.lines,
        skipped_lines=stats.skipped_lines,
        torn_last_line=stats.torn_last_line,
        oversized_lines=stats.oversized_lines,
        findings=findings,
        unreadable=engine.unreadable,
        first_unreadable=engine.first_unreadable,
        latency=latency_section(engine),
        provider=engine.context.provider,
    )


def latency_section(engine: RuleEngine) -> LatencySection:
    """Every answered turn's latency, as the ``slow-first-audio`` rule timed them (one
    timeline for the figures and the verdict), or why the log cannot show any."""
    ctx = engine.context
    if ctx.live:
        return LatencySection(note="GPT-Live logs are not timed yet (their turns have no "
                                   "commit or response events to time from)")
    if ctx.gemini:
        return LatencySection(note="Gemini Live logs are not timed yet (their turns have no "
                                   "commit or response events to time from)")
    timer = next(rule for rule in engine.rules if isinstance(rule, SlowFirstAudio))
    turns = tuple(timer.turns)
    note = None
    if not turns and ctx.last_in is None and not ctx.client_logged and ctx.proxy_records:
        # the proxy's own file (FILE-proxy): its records are timed, its sessions elsewhere
        note = ("this is voicechat proxy's own log (REST calls and notices): each session it "
                "watched is in its own file beside it (FILE, FILE-<session>); run the doctor "
                "on those")
    elif not turns:
        # times on any record count, not only on the events the timeline reads: a log of
        # notices and REST calls has times too
        timed = timer.timed or ctx.end_t is not None
        note = ("no answer with audio after a user turn in the log" if timed else
                "the log has no times, and no mic audio runs on between a turn's end and its "
                "answer (none appended, or push-to-talk stops the mic) to time by")
    elif all(turn.clock == "audio" for turn in turns):
        note = ("the log has no times: the figures are on the mic's audio clock (the audio "
                "the client appended), right while its mic streamed in real time")
    return LatencySection(turns, tuple(timer.barge_ins), note)


def _dialect_name(stats: ReadStats, ctx: Context) -> str:
    """``ga``/``beta`` for Realtime, ``live`` for a GPT-Live log, ``gemini`` for a Gemini Live
    log, ``unknown`` when undecided."""
    if ctx.live:
        return "live"
    if ctx.gemini:
        return "gemini"
    return stats.tracker.server.value if stats.tracker.server else "unknown"


class _Dispatch:
    """Which rules want which event type, worked out once per type from their ``feeds_on``."""

    def __init__(self, rules: list[Rule]) -> None:
        self._rules = rules
        self.by_type: dict[str, tuple[Rule, ...]] = {}
        self._by_run: dict[str, tuple[Rule, ...]] = {}
        #: :meth:`feeds_for`'s table: ``feed`` bound once per rule, not looked up per call.
        self.feeds: dict[str, tuple[Callable[[Entry, Context], None], ...]] = {}

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        found = self.by_type.get(kind)
        if found is None:
            found = tuple(rule for rule in self._rules
                          if rule.feeds_on is None or kind in rule.feeds_on)
            self.by_type[kind] = found
        return found

    def feeds_for(self, kind: str) -> tuple[Callable[[Entry, Context], None], ...]:
        """:meth:`rules_for` as their bound ``feed`` methods, in order (the file's hot loop)."""
        found = self.feeds.get(kind)
        if found is None:
            found = self.feeds[kind] = tuple(rule.feed for rule in self.rules_for(kind))
        return found

    def rules_for_run(self, direction: str) -> tuple[Rule, ...]:
        """The rules that read any of the bulk types of ``direction`` (a run's), in order."""
        found = self._by_run.get(direction)
        if found is None:
            wanted = {rule for kind in BULK_TYPES[direction] for rule in self.rules_for(kind)}
            found = self._by_run[direction] = tuple(r for r in self._rules if r in wanted)
        return found


def diagnose(path: Path | str) -> Report:
    """Read ``path`` (any supported format) and run every rule; raises ``LogReadError``."""
    stats = ReadStats()
    engine = RuleEngine(stats.tracker)
    # Types nothing reads whole come through as stubs (tests/doctor/test_skip.py checks the
    # findings are the same either way, on the corpus and on generated logs).
    stream = read_stream(path, stats, wanted=engine.wants, runs=BULK_TYPES)
    return diagnose_entries(stream, stats, str(path), engine)
