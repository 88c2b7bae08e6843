"""A log of plain text lines that wraps them to the pane's width, and again when it resizes.

Why not a bare ``RichLog(wrap=True)``: RichLog renders each line at no less than its
``min_width`` (78 columns by default), so in replay's transcript pane (two fifths of the
terminal: 32 columns at 80×24, 47 at 120×40) a line was wrapped at 78 columns and then cut at
the pane's edge ("Assistant: You said: the last", the rest lost; the middle of a latency line
lost: issue 55, item 10). It also keeps the strips it rendered, so a resize never re-wraps them.
Here every line is kept as text (bounded like the strips) and wrapped as the live transcript
wraps (:mod:`voicechat.ui.cjk_wrap`: Rich at spaces, Chinese and Japanese between characters
with the no-break rules), down to :data:`~voicechat.ui.widgets.transcript.MIN_WRAP` columns;
a width change writes them again at the new width.
"""

from __future__ import annotations

from collections import deque

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from voicechat.ui import cjk_wrap
from voicechat.ui.widgets.transcript import MIN_WRAP


class _Wrapped:
    """One line as a renderable that wraps by :func:`cjk_wrap.wrap` at the width it is given."""

    def __init__(self, text: str) -> None:
        self.text = Text(text)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from cjk_wrap.wrap(self.text, console, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(MIN_WRAP, self.text.cell_len), self.text.cell_len)


class WrappedLog(RichLog):
    """See the module docstring; :meth:`add` writes one line."""

    def __init__(self, *, max_lines: int, id: str | None = None) -> None:
        super().__init__(wrap=True, markup=False, min_width=MIN_WRAP, max_lines=max_lines,
                         id=id)
        self.texts: deque[str] = deque(maxlen=max_lines)
        self._wrapped_at = 0  # the width the written strips were wrapped to (0: none yet)

    def add(self, line: str) -> None:
        self.texts.append(line)
        self.write(_Wrapped(line))

    def on_resize(self, event: Resize) -> None:
        # (RichLog's own handler runs after this one: it writes what waited for a size)
        width = event.size.width
        if self._wrapped_at and width != self._wrapped_at:
            self.clear()
            for line in self.texts:
                self.write(_Wrapped(line))
        self._wrapped_at = width
