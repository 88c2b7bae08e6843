"""The transcript's live area: the turns that can still change, as a line-API widget.

Why not a ``Static``: ``Static.update`` converts the Rich text to Textual content and wraps it
again on every repaint, and the transcript also wrapped it once to know its height; while a turn
streams that ran at the poll rate and bench/bench_tui.py measured it as a large share of the
frame. Here the text is wrapped once per change (which also gives the height), each line becomes
a strip only when it is drawn, and a change repaints without a relayout; the height is the
transcript's business (it sets ``styles.height`` in steps).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


class LiveText(Widget):
    """Wrapped text drawn line by line; ``set_text`` repaints without a relayout."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = Text()
        self._lines: list[Text] = []
        self._wrapped_width = -1
        self._strips: dict[int, Strip] = {}
        self._base: Style | None = None

    @property
    def text(self) -> Text:
        return self._text

    def set_text(self, text: Text, width: int) -> int:
        """Show ``text`` wrapped to ``width`` cells; returns how many lines it takes."""
        self._text = text
        self._wrap(width)
        self.refresh()
        return len(self._lines)

    def render(self) -> Text:
        """The text shown (for tests; drawing goes through ``render_line``)."""
        return self._text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._wrap(width)
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if width != self._wrapped_width:
            self._wrap(width)
        base = self._base_style()
        strip = self._strips.get(y)
        if strip is None:
            segments: list[Segment] = []
            if y < len(self._lines):
                segments = list(self._lines[y].render(self.app.console, end=""))
            strip = Strip(Segment.apply_style(segments, base))
            strip = strip.adjust_cell_length(width, base).crop(0, width)
            self._strips[y] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None  # theme or CSS changed
        self._strips = {}

    def _base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _wrap(self, width: int) -> None:
        width = max(1, width)
        self._wrapped_width = width
        self._strips = {}
        if not self._text.plain:
            self._lines = []
            return
        self._lines = list(self._text.wrap(self.app.console, width))
