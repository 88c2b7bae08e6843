"""The VAD timeline: your speech and the assistant's playback as segments on a time axis.

A line-API widget (``render_line``): each update lays the lines out as runs of (text, style
name), and the widget repaints only the lines whose runs changed, so a moving clock with nothing
new to show costs no frame, and a ticking duration repaints its own line, not all six. Drawn
through ``render()``, the same six lines went through Rich text, Textual's content conversion
and wrapping on every repaint; bench/bench_tui.py measured that as the single dearest widget
while a transcript streamed. Segments shorter than the core's "too short to transcribe"
threshold get their own colour so a clipped utterance is visible at a glance, and the list under
the axis gives each recent segment's duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment as RichSegment
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from voicechat.ui.viewstate import Segment

LABEL_WIDTH = 5

Run = tuple[str, str | None]
"""Some text and the component class that colours it (None: the widget's own style)."""
Line = tuple[Run, ...]


NO_SPEECH = "no speech yet"
#: Gemini Live's VAD runs on the server and sends no speech markers to place on the track
NO_MARKERS = "server VAD, no markers"


class VadTimeline(Widget):
    """Fixed-size timeline of VAD and playback segments over the last ``window`` seconds."""

    DEFAULT_CSS = """
    VadTimeline { height: 6; background: $surface; padding: 0 1; }
    VadTimeline .vad--speech { color: $vc-vad-speech; }
    VadTimeline .vad--short { color: $vc-vad-short; }
    VadTimeline .vad--playback { color: $vc-vad-playback; }
    VadTimeline .vad--silence { color: $vc-vad-silence; }
    VadTimeline .vad--label { color: $vc-dim; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vad--speech", "vad--short", "vad--playback", "vad--silence", "vad--label",
    }

    def __init__(self, *, window: float = 30.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self.segments: tuple[Segment, ...] = ()
        self.now = 0.0
        self.assistant_row = True  # off in transcribe mode: nobody answers there
        #: what the pane says while there is no speech to show
        self.empty_note = NO_SPEECH
        self.repaints = 0
        """How many times the lines changed and were repainted (for tests and the bench)."""
        self._lines: list[Line] = []
        self._strips: dict[int, Strip] = {}
        self._styles: dict[str | None, Style] | None = None

    def set_assistant_row(self, shown: bool) -> None:
        if shown != self.assistant_row:
            self.assistant_row = shown
            self._relayout_lines()

    def set_empty_note(self, note: str) -> None:
        """What to say while no segment is shown ("server VAD, no markers" for a service
        that sends none)."""
        if note != self.empty_note:
            self.empty_note = note
            self._relayout_lines(everything=True)

    def set_segments(self, segments: Sequence[Segment], now: float) -> None:
        """New data; repaints only if a visible cell or label changed."""
        segments = tuple(segments)
        # durations are shown to 0.1 s: nothing visible can change within the same tenth
        if segments == self.segments and int(now * 10) == int(self.now * 10):
            return
        self.segments = segments
        self.now = now
        self._relayout_lines()

    def moves_with_time(self) -> bool:
        """Would the drawing change with time alone? While a segment is open (its bar grows,
        its duration ticks) or any is still inside the window (the bars slide left)."""
        start = self.now - self.window
        return any(seg.end is None or seg.end >= start for seg in self.segments)

    def on_resize(self, event: Resize) -> None:
        self._relayout_lines(everything=True)

    def _relayout_lines(self, *, everything: bool = False) -> None:
        lines = self._layout()
        if lines == self._lines and not everything:
            return
        old, self._lines = self._lines, lines
        self.repaints += 1
        if everything or len(old) != len(lines):
            self._strips = {}
            self.refresh()
            return
        width = self.size.width
        for y, (before, after) in enumerate(zip(old, lines, strict=True)):
            if before != after:
                self._strips.pop(y, None)
                self.refresh(Region(0, y, width, 1))

    def _layout(self) -> list[Line]:
        width = max(10, self.content_size.width - LABEL_WIDTH)
        height = max(3, self.content_size.height)
        start = self.now - self.window
        per_cell = self.window / width
        lines = [self._track("you", "user", start, per_cell, width)]
        if self.assistant_row:
            lines.append(self._track("bot", "assistant", start, per_cell, width))
        lines.append(self._axis(width))
        lines.extend(self._recent(height - len(lines)))
        return lines

    def render(self) -> Text:
        """The lines as one text (what the widget shows, for tests and plain-text export)."""
        text = Text()
        for index, line in enumerate(self._lines or self._layout()):
            if index:
                text.append("\n")
            for chunk, _name in line:
                text.append(chunk)
        return text

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        styles = self._line_styles()
        strip = self._strips.get(y)
        if strip is None:
            line = self._lines[y] if y < len(self._lines) else ()
            strip = Strip([RichSegment(chunk, styles[name]) for chunk, name in line])
            strip = strip.adjust_cell_length(width, styles[None]).crop(0, width)
            self._strips[y] = strip
        return strip

    def _line_styles(self) -> dict[str | None, Style]:
        """Styles resolved once per style change: the lookup costs more than drawing a line."""
        if self._styles is None:
            base = self.rich_style
            self._styles = {None: base}
            for name in self.COMPONENT_CLASSES:
                self._styles[name] = base + self.get_component_rich_style(name, partial=True)
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None  # theme, focus or CSS changed
        self._strips = {}
        self.refresh()

    def _track(self, label: str, kind: str, start: float, per_cell: float, width: int) -> Line:
        cells: list[str] = ["vad--silence"] * width
        for seg in self.segments:
            if seg.kind != kind:
                continue
            end = seg.end if seg.end is not None else self.now
            if end < start:
                continue
            first = max(0, int((seg.start - start) / per_cell))
            last = min(width - 1, int((end - start) / per_cell))
            style = "vad--playback" if kind == "assistant" else (
                "vad--short" if seg.short else "vad--speech")
            cells[first:last + 1] = [style] * (last + 1 - first)
        runs: list[Run] = [(f"{label:<{LABEL_WIDTH}}", "vad--label")]
        run_start = 0
        for i in range(1, width + 1):
            if i == width or cells[i] != cells[run_start]:
                glyph = "─" if cells[run_start] == "vad--silence" else "█"
                runs.append((glyph * (i - run_start), cells[run_start]))
                run_start = i
        return tuple(runs)

    def _axis(self, width: int) -> Line:
        left = f"-{self.window:.0f}s"
        mid = f"-{self.window / 2:.0f}s"
        right = "now"
        pad = width - len(left) - len(mid) - len(right)
        half = max(1, pad // 2)
        line = left + " " * half + mid + " " * max(1, pad - half) + right
        # the indent is unstyled: a styled run that starts with blanks loses them in some SVG
        # renderers (librsvg), which shifted the axis labels left of the tracks
        return ((" " * LABEL_WIDTH, None), (line, "vad--label"))

    def _recent(self, rows: int) -> list[Line]:
        if rows <= 0:
            return []
        parts: list[Run] = []
        for seg in reversed(self.segments):
            who = "you" if seg.kind == "user" else "bot"
            dur = seg.duration(self.now)
            style = "vad--playback" if seg.kind == "assistant" else (
                "vad--short" if seg.short else "vad--speech")
            label = f"{who} {dur:.1f}s"
            if seg.end is None:
                label += "…"
            if seg.short:
                label += " (too short)"
            parts.append((label, style))
        if not parts:
            return [((" " * LABEL_WIDTH, None), (self.empty_note, "vad--label"))]
        width = max(10, self.content_size.width)
        lines: list[Line] = []
        indent: Run = (" " * LABEL_WIDTH, None)
        line: list[Run] = [indent]
        used = LABEL_WIDTH
        for part in parts:
            size = cell_len(part[0])
            if used + size + 3 > width and used > LABEL_WIDTH:
                lines.append(tuple(line))
                if len(lines) >= rows:
                    return lines
                line, used = [indent], LABEL_WIDTH
            if used > LABEL_WIDTH:
                line += [(" ", None), ("· ", "vad--label")]
                used += 3
            line.append(part)
            used += size
        lines.append(tuple(line))
        return lines[:rows]
