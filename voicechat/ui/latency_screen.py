"""The latency view (``l``): every answered turn as a bar of where its wait went.

People would rather look than read: each turn is one bar from the end of the user's speech to
the first sound, split into its stages (the VAD's wait, the commit, the response's start, a
tool, the model, the network and buffer), all bars on one scale so a slow turn stands out, its
figures beside it. The session's median and p95 head the view. Fits 80×24 (it scrolls past a
screenful of turns). ``Esc`` or ``l`` closes it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from voicechat.latency import BargeIn, TurnLatency, summarize
from voicechat.latency.text import barge_line, seconds

#: Each stage's colour; the first letter of its name is drawn in the bar as well, so the
#: chart reads without colour (a monochrome terminal, a screenshot in a bug report).
_COLOURS = {"VAD": "blue", "commit": "bright_black", "response": "yellow",
            "model": "magenta", "network+buffer": "cyan"}
_TOOL_COLOUR = "green"
_LABEL_CELLS = 25  # "#12 push-to-talk 10.25 s "


def stage_style(name: str) -> Style:
    colour = _TOOL_COLOUR if name.startswith("tool ") else _COLOURS.get(name, "white")
    return Style(color=colour)


def chart(turns: list[TurnLatency], barge_ins: list[BargeIn], width: int) -> Text:
    """The whole view's text for ``width`` cells."""
    text = Text()
    summary = summarize(turn.heard_ms for turn in turns)
    if summary is None:
        text.append("No answered turn yet. Each answer's wait shows here as a bar, from the "
                    "end of your speech to its first sound.", Style(dim=True))
        return text
    text.append(f"{summary.turns} answered turn{'s' if summary.turns != 1 else ''} · "
                f"median {seconds(summary.p50)} s · p95 {seconds(summary.p95)} s · slowest "
                f"{seconds(summary.max)} s\n", Style(bold=True))
    names: list[str] = []
    for turn in turns:
        names += [stage.name for stage in turn.breakdown() if stage.name not in names]
    for name in names:
        text.append("█ ", stage_style(name))
        text.append(f"{name}  ")
    text.append("\n\n")
    bar_cells = max(10, width - _LABEL_CELLS - 1)
    scale = max(turn.heard_ms for turn in turns) or 1.0
    for number, turn in enumerate(turns, 1):
        how = {"speech_stopped": "spoken", "commit": "push-to-talk", "typed": "typed"}[
            turn.end_kind]
        text.append(f"#{number:<3}{how:<13}{seconds(turn.heard_ms):>5} s ", Style(bold=True))
        used = 0
        for stage in turn.breakdown():
            cells = round(stage.ms / scale * bar_cells)
            if cells <= 0:
                continue
            cells = min(cells, bar_cells - used)
            mark = stage.name[0] if cells >= 2 else ""
            text.append((mark + "█" * cells)[:cells], stage_style(stage.name))
            used += cells
        text.append("\n")
        parts = " · ".join(f"{stage.name} {seconds(stage.ms)}" for stage in turn.breakdown()
                           if stage.ms >= 10)
        text.append(f"{'':{_LABEL_CELLS}}{parts}\n", Style(dim=True))
    if barge_ins:
        text.append("\n")
        for barge in barge_ins[-5:]:
            text.append(barge_line(barge) + "\n", Style(dim=True))
    return text


class LatencyScreen(ModalScreen[None]):
    """Every answered turn's wait as a bar (see the module docstring)."""

    DEFAULT_CSS = """
    LatencyScreen { align: center middle; }
    LatencyScreen > #latency { width: 100%; max-width: 110; height: 100%; max-height: 40;
                               border: thick $primary; background: $surface; padding: 0 1; }
    LatencyScreen #latency-title { text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"), Binding("l", "close", "Close", show=False)]

    def __init__(self, turns: list[TurnLatency], barge_ins: list[BargeIn]) -> None:
        super().__init__()
        self._turns = list(turns)
        self._barge_ins = list(barge_ins)

    def compose(self) -> ComposeResult:
        with Vertical(id="latency"):
            yield Static("Latency: the end of your speech to the first sound (Esc closes)",
                         id="latency-title")
            with VerticalScroll():
                yield Static(id="latency-chart")

    def on_mount(self) -> None:
        self._draw()
        self.call_after_refresh(self._draw)  # again once the layout gave the chart its width

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.query_one("#latency-chart", Static).size.width or self.app.size.width - 8
        self.query_one("#latency-chart", Static).update(
            chart(self._turns, self._barge_ins, width))

    def action_close(self) -> None:
        self.dismiss(None)
