"""The observer's panes for one session: transcript, VAD markers, responses and problems.

Each pane draws with ``render()`` from a :class:`SessionState` and is repainted with
``refresh()``, never ``update()``: a repaint does not relayout the screen, so a busy session
costs one repaint per pane per tick however many events the tick folded in (the same reasoning
as the chat's VAD timeline, docs/reference-notes.md, "Streaming text"). Panes show their newest
lines that fit: the observer follows a live session, the event pane is where to scroll back.
Text in the state is already made printable; titles and evidence from the rule engine and the
producer's error are made printable (and redacted) here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Console, RenderableType
from rich.text import Text
from textual.widget import Widget

from voicechat.observe.feed import ProblemSeen
from voicechat.ui.observer.session_state import SessionState
from voicechat.ui.problems import Problem, redact


def _tail(lines: list[Text], console: Console, width: int, height: int) -> Text:
    """The newest ``height`` screen rows of ``lines`` wrapped at ``width``: a pane that only
    drew from the top would crop the newest turn, the one being watched."""
    rows: list[Text] = []
    for line in reversed(lines):
        wrapped = list(line.wrap(console, max(width, 1))) if width > 0 else [line]
        rows[:0] = wrapped
        if height > 0 and len(rows) >= height:
            break
    shown = rows[-height:] if height > 0 else rows
    return Text("\n").join(shown)


class StatePane(Widget):
    """A pane that draws one session's state; ``show(state)`` repaints without relayout."""

    EMPTY = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state: SessionState | None = None

    def show(self, state: SessionState | None) -> None:
        self.state = state
        self.refresh()

    def lines(self, state: SessionState) -> list[Text]:
        """The pane's lines for ``state``; each pane (transcript, VAD, responses, problems)
        says what it shows by overriding this."""
        raise NotImplementedError

    def render(self) -> RenderableType:
        if self.state is None:
            return Text(self.EMPTY, style="italic")
        lines = self.lines(self.state)
        if not lines:
            return Text(self.EMPTY, style="italic")
        size = self.content_size
        return _tail(lines, self.app.console, size.width, size.height)


#: How each kind of transcript line starts, and its style.
ROLE_LABELS = {"user": ("You: ", "bold cyan"), "assistant": ("Assistant: ", "bold green"),
               "call": ("Call: ", "bold yellow"), "output": ("Output ", "bold yellow"),
               "mcp": ("MCP: ", "bold magenta"), "approval": ("Approval? ", "bold magenta")}


class TranscriptPane(StatePane):
    """User and assistant turns in conversation order, tool calls among them (name, short
    arguments, ``→`` the output, how long the app took to answer); unfinished lines end with
    ``…``."""

    DEFAULT_CSS = """
    TranscriptPane { height: 1fr; padding: 0 1; background: $surface; }
    """
    EMPTY = "no transcript yet"

    def lines(self, state: SessionState) -> list[Text]:
        out: list[Text] = []
        for turn in state.turns.values():
            if not turn.text and not turn.note:
                continue
            label, style = ROLE_LABELS.get(turn.role, ("", ""))
            line = Text(label, style=style)
            line.append(turn.text)
            if turn.result:
                line.append(" → ", style="dim")
                line.append(turn.result)
            if not turn.final:
                line.append(" …", style="dim")
            if turn.note:
                line.append(f" [{turn.note}]", style="dim italic")
            out.append(line)
            if turn.latency:
                out.append(Text(f"  {turn.latency}", style="dim"))
        return out


class VadPane(StatePane):
    """Speech markers: ``▶`` speech_started and ``■`` speech_stopped at session times, then the
    audio positions the server gave and the length."""

    DEFAULT_CSS = """
    VadPane { height: 5; padding: 0 1; background: $surface; }
    """
    EMPTY = "no speech detected yet (▶ speech_started, ■ speech_stopped)"

    def lines(self, state: SessionState) -> list[Text]:
        out: list[Text] = []
        for seg in state.segments:
            line = Text("▶ ", style="green", no_wrap=True, overflow="ellipsis")
            line.append(f"{seg.started_t:.3f}s")
            if seg.stopped_t is None:
                line.append("  … speaking", style="yellow")
            else:
                line.append("  ■ ", style="red")
                line.append(f"{seg.stopped_t:.3f}s")
            if seg.start_ms is not None:
                end = "" if seg.end_ms is None else f"{seg.end_ms}"
                line.append(f"  audio {seg.start_ms}–{end} ms", style="dim")
                if seg.end_ms is not None:
                    line.append(f" ({(seg.end_ms - seg.start_ms) / 1000:.2f} s)")
            out.append(line)
        return out


STATUS_STYLES = {"in_progress": "yellow", "completed": "green", "cancelled": "magenta",
                 "failed": "bold red", "incomplete": "red"}


class ResponsePane(StatePane):
    """Every response's status: in progress, completed, cancelled (why), failed (code)."""

    DEFAULT_CSS = """
    ResponsePane { height: 4; padding: 0 1; background: $surface; }
    """
    EMPTY = "no responses yet"

    def lines(self, state: SessionState) -> list[Text]:
        out: list[Text] = []
        for resp in state.responses.values():
            status = resp.status.replace("_", " ")
            line = Text(f"{resp.t:.3f}s ", no_wrap=True, overflow="ellipsis")
            line.append(status, style=STATUS_STYLES.get(resp.status, ""))
            if resp.reason:
                line.append(f" ({resp.reason})")
            line.append(f" {resp.response_id}", style="dim")
            out.append(line)
        return out


class ProblemsPane(Widget):
    """Problems of the run (the producer's failure) and of the shown session (doctor rules)."""

    DEFAULT_CSS = """
    ProblemsPane { height: auto; max-height: 14; padding: 0 1; background: $surface;
                   border-top: solid $error; }
    ProblemsPane.-empty { display: none; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = set()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_problems: list[Problem] = []
        self.session_problems: Sequence[ProblemSeen] = ()
        self._shown = 0

    def show(self, run_problems: list[Problem], session_problems: Sequence[ProblemSeen]) -> None:
        """Repaint; relayout only when the number of problems changes (rarely)."""
        self.run_problems = run_problems
        self.session_problems = session_problems
        count = len(run_problems) + len(session_problems)
        self.set_class(count == 0, "-empty")
        self.refresh(layout=count != self._shown)
        self._shown = count

    def render(self) -> RenderableType:
        lines: list[Text] = []
        for problem in self.run_problems:
            line = Text("✗ ", style="bold red")
            line.append(redact(problem.title), style="bold")
            if problem.detail:
                line.append(f" — {redact(problem.detail)}")
            if problem.fix:
                line.append(f"\n  fix: {redact(problem.fix)}", style="italic")
            lines.append(line)
        for seen in self.session_problems:
            line = Text("⚠ ", style="bold yellow")
            line.append(f"[{redact(seen.rule_id)}] ", style="bold yellow")
            line.append(redact(seen.title), style="bold")
            line.append(f"  at {seen.t:.3f}s", style="dim")
            if seen.evidence:
                line.append(f"\n  evidence: {redact(seen.evidence)}")
            if seen.fix:
                line.append(f"\n  fix: {redact(seen.fix)}", style="italic")
            lines.append(line)
        return Text("\n").join(lines)
