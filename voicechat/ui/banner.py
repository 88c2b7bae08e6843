"""The problem banner: the latest problems, one line each, with their fix a click away.

On an 80×24 terminal two problems written out in full (no microphone, no speaker, each with its
long fix) took 8 of the 24 rows for the whole session. So each problem is one line, cropped with
``…``; a click (or the palette's "Problems: details") shows them in full, and ``x`` dismisses
them. The full text is also in the event pane (the ``local.notice`` line and its JSON).
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.widget import Widget

from voicechat.ui.problems import Problem

MAX_PROBLEMS = 3


class ProblemBanner(Widget):
    """The most recent problems, each with its fix; hidden when there are none."""

    DEFAULT_CSS = """
    ProblemBanner { height: auto; max-height: 10; background: $error 20%; color: $text;
                    border-left: thick $error; padding: 0 1; display: none;
                    text-wrap: nowrap; text-overflow: ellipsis; }
    ProblemBanner.-shown { display: block; }
    ProblemBanner.-expanded { text-wrap: wrap; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: list[Problem] = []
        self.expanded = False

    @property
    def shown(self) -> bool:
        return bool(self.problems)

    def add(self, problem: Problem) -> None:
        if problem in self.problems:
            return
        self.problems = [*self.problems, problem][-MAX_PROBLEMS:]
        self.add_class("-shown")
        self.refresh(layout=True)

    def withdraw(self, problem: Problem) -> None:
        """Take ``problem`` back (it was fixed); the banner hides when none is left."""
        if problem not in self.problems:
            return
        self.problems = [p for p in self.problems if p != problem]
        if not self.problems:
            self.dismiss()
        else:
            self.refresh(layout=True)

    def dismiss(self) -> None:
        """Hide every problem until a new one arrives."""
        self.problems = []
        self.expanded = False
        self.remove_class("-shown", "-expanded")
        self.refresh(layout=True)

    def toggle_details(self) -> None:
        self.expanded = not self.expanded
        self.set_class(self.expanded, "-expanded")
        self.refresh(layout=True)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.toggle_details()

    def render(self) -> RenderableType:
        # one line per problem unless expanded (CSS text-wrap / text-overflow)
        return Text("\n").join(Text(f"⚠ {p}") for p in self.problems)
