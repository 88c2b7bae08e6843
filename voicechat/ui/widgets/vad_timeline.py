"""The VAD timeline: your speech and the assistant's playback as segments on a time axis.

Drawn with ``render()`` and repainted with ``refresh()`` (no relayout): at 20 Hz that costs a
third of a ``Static.update`` per frame (docs/reference-notes.md, "Streaming text"). Segments shorter
than the core's "too short to transcribe" threshold get their own colour so a clipped utterance is
visible at a glance, and the list under the axis gives each recent segment's duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from voicechat.ui.viewstate import Segment

LABEL_WIDTH = 5


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
        self._styles: dict[str, Style] = {}

    def set_assistant_row(self, shown: bool) -> None:
        if shown != self.assistant_row:
            self.assistant_row = shown
            self.refresh()

    def set_segments(self, segments: Sequence[Segment], now: float) -> None:
        """New data; repaints only if something visible changed."""
        segments = tuple(segments)
        if segments == self.segments:
            visible = any(s.end is None or s.end > now - self.window for s in segments)
            # durations are shown to 0.1 s and the axis moves one cell per window/width
            # seconds: repaint at 10 Hz while something is on screen, never when idle
            if not visible or int(now * 10) == int(self.now * 10):
                return
        self.segments = segments
        self.now = now
        self.refresh()

    def _style(self, name: str) -> Style:
        return self._styles[name]

    def render(self) -> RenderableType:
        # Styles are looked up once per paint: get_component_rich_style is far dearer than
        # building the text, and the tracks are drawn as runs of one style, not per cell.
        self._styles = {name: self.get_component_rich_style(name, partial=True)
                        for name in self.COMPONENT_CLASSES}
        width = max(10, self.content_size.width - LABEL_WIDTH)
        height = max(3, self.content_size.height)
        start = self.now - self.window
        per_cell = self.window / width
        lines = [self._track("you", "user", start, per_cell, width)]
        if self.assistant_row:
            lines.append(self._track("bot", "assistant", start, per_cell, width))
        lines.append(self._axis(width))
        lines.extend(self._recent(height - len(lines)))
        return Text("\n").join(lines)

    def _track(self, label: str, kind: str, start: float, per_cell: float, width: int) -> Text:
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
        text = Text(f"{label:<{LABEL_WIDTH}}", self._style("vad--label"))
        run_start = 0
        for i in range(1, width + 1):
            if i == width or cells[i] != cells[run_start]:
                glyph = "─" if cells[run_start] == "vad--silence" else "█"
                text.append(glyph * (i - run_start), self._style(cells[run_start]))
                run_start = i
        return text

    def _axis(self, width: int) -> Text:
        left = f"-{self.window:.0f}s"
        mid = f"-{self.window / 2:.0f}s"
        right = "now"
        pad = width - len(left) - len(mid) - len(right)
        half = max(1, pad // 2)
        line = left + " " * half + mid + " " * max(1, pad - half) + right
        # the indent is unstyled: a styled run that starts with blanks loses them in some SVG
        # renderers (librsvg), which shifted the axis labels left of the tracks
        text = Text(" " * LABEL_WIDTH)
        text.append(line, self._style("vad--label"))
        return text

    def _recent(self, rows: int) -> list[Text]:
        if rows <= 0:
            return []
        parts: list[Text] = []
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
            parts.append(Text(label, self._style(style)))
        if not parts:
            empty = Text(" " * LABEL_WIDTH)
            empty.append("no speech yet", self._style("vad--label"))
            return [empty]
        width = max(10, self.content_size.width)
        lines: list[Text] = []
        line = Text(" " * LABEL_WIDTH)
        for part in parts:
            if line.cell_len + part.cell_len + 3 > width and line.cell_len > LABEL_WIDTH:
                lines.append(line)
                if len(lines) >= rows:
                    return lines
                line = Text(" " * LABEL_WIDTH)
            if line.cell_len > LABEL_WIDTH:
                line.append(" ")
                line.append("· ", self._style("vad--label"))
            line.append_text(part)
        lines.append(line)
        return lines[:rows]
