"""The shape every doctor rule has: a small streaming state machine.

A rule sees each entry once (``feed``) with the session context already updated, and gives its
verdict at the end (``finish``). Rules keep only what they need (open responses, the last
playback end), never the whole log, so a 100 MB log costs what a 1 MB one does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.model import MAX_EVIDENCE, Evidence, Finding
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import CANONICAL, Run

#: Rules that read server ``error`` events include this in their ``feeds_on``.
ERRORS = frozenset({"error"})
#: What :func:`response_id` reads of an event.
RESPONSE_ID = frozenset({"response_id", "response"})
#: The bulk of a log, by direction: mic appends going out, output deltas coming in. The engine
#: hands rules consecutive entries of one of these sets as one run (:meth:`Rule.feed_run`).
OUTPUT_DELTAS = frozenset({"response.output_audio.delta", "response.output_audio_transcript.delta",
                           "response.output_text.delta"})
BULK_TYPES: Mapping[str, frozenset[str]] = {"out": frozenset({"input_audio_buffer.append"}),
                                            "in": OUTPUT_DELTAS}


class Rule(ABC):
    """Base class: subclasses set ``id``/``title`` and implement ``feed`` and ``fix``."""

    id: ClassVar[str]
    title: ClassVar[str]
    #: The canonical event types this rule looks at; the engine feeds it nothing else, so a
    #: log's thousands of audio appends and deltas cost nothing in rules that ignore them.
    #: ``None`` means every entry. The same sets tell ``doctor`` which types to read whole: an
    #: entry of any other type may reach a rule only through the context (``ctx.last``,
    #: ``ctx.last_in``, ``ctx.first``), as a stub of its type, direction, place and time.
    feeds_on: ClassVar[frozenset[str] | None] = None
    #: For types of ``feeds_on`` read only in part, the top-level fields of the canonical event
    #: this rule reads beyond its type, direction, place and time (an empty set: none of them);
    #: ``doctor`` then reads such an event as a stub of just that. A type not listed is read
    #: whole. Keep each set exact: ``tests/doctor/test_skip.py`` compares every report with and
    #: without stubs, on the corpus and on generated logs.
    reads: ClassVar[Mapping[str, frozenset[str]]] = {}

    def __init__(self) -> None:
        self.evidence: list[Evidence] = []
        self.count = 0

    @abstractmethod
    def feed(self, entry: Entry, ctx: Context) -> None:
        """Look at one entry (the context already includes it)."""

    def feed_run(self, run: Run, ctx: Context) -> None:
        """Look at a run of consecutive events, all of one direction and of that direction's
        :data:`BULK_TYPES`, with the context already updated past the last of them: the same
        as :meth:`feed` on each one this rule feeds on, in order.

        Why a run: a log is mostly such runs (20 appends, 22 deltas a turn), and a rule that
        overrides this does in one call, from the run's plain items, what costs an entry and a
        call per event otherwise (an entry is built only for an item a rule keeps:
        :meth:`Run.entry`). What may differ
        from feeding one by one is only the context during the run (``last``, ``last_in``,
        ``first``, the client ids): no rule reads those while it reads a bulk type, except
        ``last_in`` on an outgoing append, which an outgoing run does not move.
        ``tests/doctor/test_runs.py`` compares every report with feeding entry by entry.
        """
        feeds = self.feeds_on
        for position, item in enumerate(run.items):
            if feeds is None or item[CANONICAL].get("type") in feeds:
                self.feed(run.entry(position), ctx)

    def conclude(self, ctx: Context) -> None:  # noqa: B027 - optional hook, empty by design
        """Hook for rules that can only decide at the end of the log."""

    @abstractmethod
    def fix(self, ctx: Context) -> str:
        """The advice, concrete to the values this log showed."""

    def add(self, entry: Entry, detail: str) -> None:
        self.count += 1
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(Evidence(entry.t, entry.line, f"{entry.where()} {detail}"))

    def verdict(self, ctx: Context) -> Finding | None:
        """The finding over everything seen so far (after :meth:`conclude`), or ``None``."""
        if not self.count:
            return None
        return Finding(self.id, self.title, self.fix(ctx), list(self.evidence), self.count)


def error_of(entry: Entry) -> dict[str, Any] | None:
    """The ``error`` object of an ``error`` server event."""
    if entry.dir != "in" or entry.type != "error":
        return None
    error = entry.canonical.get("error")
    return error if isinstance(error, dict) else None


def error_text(error: dict[str, Any]) -> str:
    code = error.get("code")
    message = error.get("message")
    param = error.get("param")
    parts = [f"error {code}" if code else f"error ({error.get('type')})"]
    if param:
        parts.append(f"param={param}")
    if message:
        parts.append(f'"{message}"')
    return " ".join(parts)


def since(a: Entry | None, b: Entry) -> float | None:
    """Seconds from ``a`` to ``b`` when both have times."""
    if a is None or a.t is None or b.t is None:
        return None
    return b.t - a.t


def ms(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds * 1000:.0f} ms"


def response_id(entry: Entry) -> str | None:
    return response_id_of(entry.canonical)


def response_id_of(canonical: dict[str, Any]) -> str | None:
    """:func:`response_id` of a canonical event (a run's item)."""
    value = canonical.get("response_id") or dig(canonical, "response", "id")
    return value if isinstance(value, str) else None


def delta_tally(run: Run) -> dict[tuple[str, str | None], int]:
    """How many of ``run``'s items have each type and response id (:func:`response_id_of`),
    in the order each pair first comes.

    Three rules count a reply's deltas per response (client-cancelled-response, the
    self-interrupt rule, mic-not-resumed); a pass over the run each cost more than reading its
    lines. So the first to ask counts the run once, and the others read that (kept on the
    run: :attr:`Run.tally`).
    """
    tally = run.tally
    if tally is None:
        tally = {}
        count = tally.get
        for item in run.items:
            canonical = item[CANONICAL]
            rid = canonical.get("response_id")
            if rid.__class__ is not str or not rid:
                rid = response_id_of(canonical)
            key = (canonical.get("type"), rid)
            tally[key] = count(key, 0) + 1
        run.tally = tally
    return tally
