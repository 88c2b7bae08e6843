"""A run of a log's bulk events, handed on in one piece: what the doctor reads most of a log as.

A log is mostly runs of one kind of traffic: mic appends going out (20 a turn), output deltas
coming in (20–40 a reply). The doctor reads them by place, time and a field or two, so a
reader that knows this (``read_entries(runs=...)``) may hand on such a run as one
:class:`Run` of plain tuples instead of an :class:`~voicechat.eventlog.entry.Entry` per line:
building entries is a large part of reading a line. An entry is built only for an item
something keeps (:meth:`Run.entry`), and always the same object for the same item, so
identity and equality are what entry-by-entry reading gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voicechat.eventlog.entry import Entry, make_entry
from voicechat.eventlog.record import Direction

#: One event of a run: its number in the stream, its line, its time and wall stamp, the event
#: as read (a stub, usually) and its canonical form (usually the same dict).
Item = tuple[int, int, float | None, str | None, dict[str, Any], dict[str, Any]]
INDEX, LINE, T, TS, EVENT, CANONICAL = range(6)


class Run:
    """Consecutive events of one direction, in stream order; ``items`` holds them as tuples."""

    __slots__ = ("_entries", "dir", "items", "tally")

    def __init__(self, direction: Direction, items: list[Item],
                 entries: list[Entry] | None = None) -> None:
        self.dir: Direction = direction
        self.items = items
        #: The entries built so far, by position: all of them for a run made of entries.
        self._entries: dict[int, Entry] = dict(enumerate(entries)) if entries else {}
        #: Its items counted by (type, response id), worked out by the first of the doctor's
        #: rules that reads it (``doctor.rules.base.delta_tally``) and kept for the others.
        self.tally: dict[tuple[str, str | None], int] | None = None

    @classmethod
    def of_entries(cls, entries: Sequence[Entry]) -> Run:
        """A run of entries already built (all of one direction): they are its entries."""
        items: list[Item] = [(e.index, e.line, e.t, e.ts, e.event, e.canonical)
                             for e in entries]
        return cls(entries[0].dir, items, list(entries))

    def __len__(self) -> int:
        return len(self.items)

    def entry(self, position: int) -> Entry:
        """The entry of ``items[position]`` (negative counts from the end), built once."""
        if position < 0:
            position += len(self.items)
        built = self._entries.get(position)
        if built is None:
            index, line, t, ts, event, canonical = self.items[position]
            built = self._entries[position] = make_entry(index, line, t, ts, self.dir, event,
                                                         canonical, False)
        return built

    def entries(self) -> list[Entry]:
        """Every entry of the run, in order (built as needed)."""
        return [self.entry(k) for k in range(len(self.items))]
