"""The transcript's wrapped lines: one cached paragraph per entry, one flat list of strips.

Why its own part: the transcript widget draws ``strips[scroll_y + y]`` and must know, after a
delta, which lines changed so it repaints only those. Each entry is wrapped once per (entry,
live?, width) and kept; an update re-wraps only the entries that are not the same as before
(normally the streaming one), splices their strips in, and reports the span of lines that
differ. Entries are immutable values (:class:`~voicechat.ui.viewstate.Entry`), so "the same"
is identity, or equality for a rebuilt but unchanged one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.strip import Strip

from voicechat.ui.viewstate import Entry

Render = Callable[[Entry, bool, int], list[Strip]]
"""Wraps one entry (live or not) to a width: the transcript's own renderer."""


class TranscriptLines:
    """Wrapped paragraphs and the flat line list (see the module docstring)."""

    def __init__(self) -> None:
        self.strips: list[Strip] = []
        self._paragraphs: list[tuple[Entry, bool, list[Strip]]] = []
        self._starts: list[int] = []  # the first line of each paragraph
        self._width = -1

    def forget(self) -> None:
        """Drop every wrapped paragraph (a width, theme or mode change): the next update
        re-wraps them all."""
        self.strips = []
        self._paragraphs = []
        self._starts = []
        self._width = -1

    def paragraph_start(self, index: int) -> int:
        """The first line of paragraph ``index`` (the line count past the last one)."""
        return self._starts[index] if index < len(self._starts) else len(self.strips)

    def update(self, items: Sequence[tuple[Entry, bool]], width: int,
               render: Render) -> tuple[int, int] | None:
        """Show ``items`` (entry, live?) wrapped to ``width``. Returns the span of lines
        ``(first, end)`` that differ from before (when the count changed, ``end`` is the new
        count), or None when no line changed."""
        if width != self._width:
            self.forget()
            self._width = width
        old = self._paragraphs
        first = 0
        common = min(len(old), len(items))
        while first < common and _same(old[first], items[first]):
            first += 1
        if first == len(old) == len(items):
            return None
        paragraphs = old[:first]
        starts = self._starts[:first]
        line = self.paragraph_start(first)
        tail: list[Strip] = []
        for index in range(first, len(items)):
            entry, live = items[index]
            kept = old[index] if index < len(old) and _same(old[index], items[index]) else None
            paragraph = kept if kept is not None else (entry, live, render(entry, live, width))
            paragraphs.append(paragraph)
            starts.append(line + len(tail))
            tail.extend(paragraph[2])
        old_tail = self.strips[line:]
        self._paragraphs, self._starts = paragraphs, starts
        self.strips[line:] = tail
        if len(tail) != len(old_tail):
            return line, len(self.strips)
        changed = [i for i, (a, b) in enumerate(zip(tail, old_tail, strict=True)) if a != b]
        if not changed:
            return None
        return line + changed[0], line + changed[-1] + 1


def _same(paragraph: tuple[Entry, bool, list[Strip]], item: tuple[Entry, bool]) -> bool:
    entry, live = item
    return paragraph[1] == live and (paragraph[0] is entry or paragraph[0] == entry)
