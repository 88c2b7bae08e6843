"""Painting the event pane's rows: one cached strip per row, fitted to the pane's width.

While deltas stream, nearly every event repaints a line, so the cost of a line matters more than
anything else in the pane. :class:`RowPainter` composes a row's segments once and keeps the
strip until the row changes (its fold count), the width, the scroll position or the selection
does; styles come in resolved (:class:`LineStyles`), never looked up per line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from voicechat.eventlog.summary import arrow
from voicechat.ui.event_line import fit_line, time_text, time_width
from voicechat.ui.event_rows import Row

_STRIP_CACHE_SIZE = 512  # a few screens of lines; a hit skips layout and styling entirely


@dataclass(frozen=True, slots=True)
class LineStyles:
    """The resolved styles of one paint; built once per style change, not once per line."""

    base: Style
    time: Style
    kinds: dict[str, Style]  # in / out / local / error, each combined with ``base``
    cursor: Style


class RowPainter:
    """Rows to strips, with the time column as wide as the longest time seen."""

    def __init__(self) -> None:
        self.time_width = time_width(0.0)
        self._strips: LRUCache[tuple[int, int, int, int, bool], Strip] = LRUCache(
            _STRIP_CACHE_SIZE)

    def fit_time(self, t: float | None) -> None:
        """Widen the time column for ``t`` (which repaints every line once)."""
        width = time_width(t)
        if width > self.time_width:
            self.time_width = width
            self._strips.clear()

    def reset(self) -> None:
        self.time_width = time_width(0.0)
        self._strips.clear()

    def forget(self) -> None:
        """Styles changed: nothing cached is right any more."""
        self._strips.clear()

    def strip(self, row: Row, styles: LineStyles, width: int, scroll_x: int,
              selected: bool) -> Strip:
        # a folded row changes only with its count, so (serial, count) names its content
        key = (row.serial, row.count, width, scroll_x, selected)
        strip = self._strips.get(key)
        if strip is None:
            strip = Strip(self.segments(row, styles, width))
            strip = strip.crop_extend(scroll_x, scroll_x + width, styles.base)
            if selected:
                strip = strip.apply_style(styles.cursor)
            self._strips[key] = strip
        return strip

    def segments(self, row: Row, styles: LineStyles, width: int) -> list[Segment]:
        """Time, arrow, type and summary, fitted to ``width``.

        Each gap is the trailing space of the text before it, so no coloured run starts with
        a blank (some SVG renderers drop leading blanks, which glued the columns together in
        the screenshots); the time's padding is a separate, unstyled run."""
        record = row.record
        kinds = styles.kinds
        kind_style = kinds["error"] if row.error else kinds.get(record.dir, kinds["local"])
        stamp = time_text(row.first_t, self.time_width)
        parts = fit_line(stamp, arrow(record.dir), row.kind, row.count, row.text, width)
        digits = parts.time.lstrip(" ")
        pad = len(parts.time) - len(digits)
        segments = [Segment(" " * pad, styles.base)] if pad else []
        segments += [
            Segment(digits + " ", styles.time),
            Segment(f"{parts.arrow} ", kind_style),
            Segment(parts.label, kind_style),
        ]
        if parts.summary:
            segments[-1] = Segment(parts.label + " ", kind_style)
            segments.append(Segment(parts.summary, styles.base))
        return segments
