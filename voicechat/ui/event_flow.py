"""The event-flow pane: every Realtime event as one line, for developers watching a session.

API (used by the main TUI and by ``voicechat replay``):

- ``EventFlow(max_lines=2000)`` — a focusable line-API widget;
- ``add_record(record)`` — append a :class:`~voicechat.eventlog.LogRecord` (``dir`` in / out /
  local), or ``add_records(records)`` a batch of them with one repaint; deltas are folded per
  response into one line that counts them (``response.output_audio_transcript.delta ×37``),
  mic appends per speech segment; a fold shows the time of its first delta, so the times down
  the column stay in order;
- ``set_filter("all" | "no_deltas" | "errors")`` — what is shown (everything stays stored);
- ``EventFlow.Selected`` — posted when the cursor moves to a line (keys ↑/↓/PgUp/PgDn/Home/End,
  Enter, or a click), carrying the record (for folds: the latest one) and the fold count;
- :class:`EventDetail` — a small companion widget that shows a record's JSON.

Why a line-API ``ScrollView`` and not ``RichLog``: folded lines change after they are written
(their count grows) and the cursor must highlight a line, neither of which RichLog can do; a
line-API widget renders only the visible rows, so its cost does not grow with history
(``docs/reference-notes.md``, "Streaming text"). ``max_lines`` bounds memory.

Each line is painted by :mod:`voicechat.ui.event_paint` and fitted to the pane's width by
:mod:`voicechat.ui.event_line` (short event names
in a narrow pane, the time and arrow always kept). Painting is cheap while deltas stream: styles
are resolved once per style change, rendered lines are cached by (row, fold count, width), a
growing fold repaints only its own line, and a new line does not relayout the screen.

Colours come from component classes with built-in theme variables, so the widget works in any
app; an app that defines ``$vc-event-in`` / ``$vc-event-out`` / ``$vc-event-error`` can restyle
``EventFlow > .event-flow--in`` etc. in its own CSS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from voicechat.eventlog.record import LogRecord
from voicechat.protocol.text import printable
from voicechat.ui.event_paint import LineStyles, RowPainter
from voicechat.ui.event_rows import EventRows, FilterMode, Row
from voicechat.ui.fold_repaint import FoldRepaints
from voicechat.ui.scroll_size import set_line_count


class EventFlow(ScrollView, can_focus=True):
    """Scrollable, filterable list of events, one line each, with a selectable cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-flow--time",
        "event-flow--in",
        "event-flow--out",
        "event-flow--local",
        "event-flow--error",
        "event-flow--cursor",
    }

    DEFAULT_CSS = """
    EventFlow {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
    }
    EventFlow > .event-flow--time { color: $text-muted; }
    EventFlow > .event-flow--in { color: $success; }
    EventFlow > .event-flow--out { color: $accent; }
    EventFlow > .event-flow--local { color: $text-muted; }
    EventFlow > .event-flow--error { color: $error; text-style: bold; }
    EventFlow > .event-flow--cursor { background: $primary 30%; }
    EventFlow:focus > .event-flow--cursor { background: $primary 60%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Follow", show=False),
        Binding("enter", "select", "Show JSON", show=False),
    ]

    class Selected(Message):
        """The cursor is on a line: ``record`` (for a fold, its latest event) and ``count``."""

        def __init__(self, flow: EventFlow, record: LogRecord, count: int) -> None:
            super().__init__()
            self.flow = flow
            self.record = record
            self.count = count

        @property
        def control(self) -> EventFlow:
            return self.flow

    def __init__(
        self,
        max_lines: int = 2000,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._model = EventRows(max_lines)
        self._cursor: int | None = None  # index into the visible rows; None = following
        self._follow_pending = False
        self._size_settled = False  # True when the scroll machinery knows the line count
        self._folds = FoldRepaints(self._repaint_row, self.set_timer)
        self.records_added = 0
        self._styles: LineStyles | None = None
        self._painter = RowPainter()

    # --- public API -----------------------------------------------------------------------

    @property
    def max_lines(self) -> int:
        return self._model.max_lines

    @property
    def filter(self) -> FilterMode:
        return self._model.filter

    @property
    def rows(self) -> list[Row]:
        """The rows shown under the current filter (oldest first)."""
        return list(self._model.visible)

    @property
    def _visible(self) -> list[Row]:
        return self._model.visible

    @property
    def cursor(self) -> int | None:
        return self._cursor

    def add_record(self, record: LogRecord) -> None:
        """Append one event; folds deltas into the open line for their response."""
        if self._add(record):
            self._lines_added()

    def add_records(self, records: Iterable[LogRecord]) -> None:
        """Append a frame's batch of events: one size update, scroll and repaint for all the
        new lines, not one per line."""
        added = False
        for record in records:
            added = self._add(record) or added
        if added:
            self._lines_added()

    def _add(self, record: LogRecord) -> bool:
        """Store one event; True if it made a new line (False: it grew a fold)."""
        self.records_added += 1
        self._painter.fit_time(record.t)
        row, new = self._model.add(record)
        if not new:
            self._refresh_row(row)
        return new

    def _lines_added(self) -> None:
        if self._model.over_limit():
            selected = self._selected_row()
            self._model.trim()
            if selected is not None:
                self._cursor = (self._visible.index(selected) if selected in self._visible
                                else 0)
        self._update_size()
        self._follow()
        self.refresh()

    def set_filter(self, mode: FilterMode) -> None:
        """Show ``all`` events, everything but deltas (``no_deltas``), or only ``errors``."""
        selected = self._selected_row()
        self._model.set_filter(mode)
        if selected is not None and selected in self._visible:
            self._cursor = self._visible.index(selected)
        else:
            self._cursor = None
        self._update_size()
        if self._cursor is None:
            self._follow()
        else:
            self._scroll_to_cursor()
        self.refresh()

    def cycle_filter(self) -> FilterMode:
        """Switch to the next filter mode and return it (for a single "filter" key)."""
        mode = self._model.next_filter()
        self.set_filter(mode)
        return mode

    def clear(self) -> None:
        self._model.clear()
        self._cursor = None
        self._painter.reset()
        self._update_size()
        self.refresh()

    # --- cursor ---------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        if not self._visible:
            return
        current = len(self._visible) - 1 if self._cursor is None else self._cursor
        if self._cursor is None and step < 0:
            step += 1  # the first "up" selects the newest line
        self._move_to(max(0, min(len(self._visible) - 1, current + step)))

    def action_first(self) -> None:
        if self._visible:
            self._move_to(0)

    def action_last(self) -> None:
        """Jump to the newest line and follow new events again."""
        self._cursor = None
        self.scroll_end(animate=False, x_axis=False)
        self.refresh()

    def action_select(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.post_message(self.Selected(self, row.record, row.count))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self._visible):
            self._move_to(index)

    def _move_to(self, index: int) -> None:
        self._cursor = index
        self._scroll_to_cursor()
        self.refresh()
        self.action_select()

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        top = int(self.scroll_offset.y)
        height = max(1, self.scrollable_content_region.height)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    def _selected_row(self) -> Row | None:
        if self._cursor is None or not (0 <= self._cursor < len(self._visible)):
            return None
        return self._visible[self._cursor]

    # --- rendering ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        styles = self.line_styles
        if index >= len(self._visible):
            return Strip.blank(width, styles.base)
        return self._painter.strip(self._visible[index], styles, width, scroll_x,
                                   index == self._cursor)

    @property
    def line_styles(self) -> LineStyles:
        """Styles for every line of a paint, resolved once per style change.

        ``rich_style`` walks the widget's ancestors and merges their CSS on every call; called
        per line it cost more than drawing the line. Textual calls ``notify_style_update``
        whenever this widget's styles change (theme switch, focus, CSS reload), which drops
        the cache."""
        if self._styles is None:
            base = self.rich_style
            kinds = {name: base + self.get_component_rich_style(f"event-flow--{name}")
                     for name in ("in", "out", "local", "error")}
            self._styles = LineStyles(
                base=base,
                time=base + self.get_component_rich_style("event-flow--time"),
                kinds=kinds,
                cursor=self.get_component_rich_style("event-flow--cursor"),
            )
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._painter.forget()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._size_settled = True  # laid out: container and virtual sizes agree again
        self._update_size()

    # --- internals ------------------------------------------------------------------------

    def _follow(self) -> None:
        """Keep the newest line in view (unless a line is selected): in the same frame as the
        new lines when no layout is pending (deferring it drew every batch twice), else after
        that refresh, once however many events arrive."""
        if self._cursor is not None:
            return
        if self._size_settled:
            if self.scroll_y != self.max_scroll_y:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            return
        if not self._follow_pending:
            self._follow_pending = True
            self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        self._follow_pending = False
        self._size_settled = True  # after the refresh: the layout it waited for is done
        if self._cursor is None:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _refresh_row(self, row: Row) -> None:
        """A fold's count grew: repaint its line, at most every ``FOLD_REPAINT_S`` seconds
        (:mod:`voicechat.ui.fold_repaint`). A whole-widget refresh per batch repainted every
        visible row for one changed number."""
        if row.shown_in(self._model.filter):
            self._folds.grew(row)

    def _repaint_row(self, row: Row) -> None:
        """Repaint one row if it is on screen."""
        top = int(self.scroll_offset.y)
        for index in range(top, min(len(self._visible), top + self.size.height)):
            if self._visible[index] is row:
                self.refresh_line(index)
                return

    def _update_size(self) -> None:
        """Tell the scroll machinery how many lines there are, without a screen relayout
        (:mod:`voicechat.ui.scroll_size`)."""
        if Size(0, len(self._visible)) == self.virtual_size:
            return
        self._size_settled = set_line_count(self, len(self._visible))
        if self._size_settled:
            self.refresh()


class EventDetail(Static):
    """Shows one record's full JSON (as logged: audio and secrets already redacted)."""

    DEFAULT_CSS = """
    EventDetail {
        height: auto;
        max-height: 50%;
        overflow-y: auto;
        background: $panel;
        padding: 0 1;
    }
    """

    def show_record(self, record: LogRecord | None, count: int = 1) -> None:
        if record is None:
            self.update("")
            return
        head = f"t={record.t:.3f}  dir={record.dir}  ts={record.ts}"
        if count > 1:
            head += f"  (latest of {count} folded events)"
        body = json.dumps(record.event, indent=2, ensure_ascii=False)
        self.update(Text(printable(head + "\n" + body, keep_newlines=True)))
