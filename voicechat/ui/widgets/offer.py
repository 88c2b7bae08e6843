"""A yes-or-no question about starting a new session (``y`` / ``n``, ``Esc`` is no).

Asked when the server refuses or locks a setting (the voice, once the assistant has spoken): the
change can still be had in a new server session seeded with the conversation.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class NewSessionOffer(ModalScreen[bool]):
    """``text`` and two answers; dismissed with ``True`` for a new session."""

    DEFAULT_CSS = """
    NewSessionOffer { align: center middle; }
    NewSessionOffer > #offer { width: 80%; max-width: 80; height: auto;
                               border: thick $warning; background: $surface; padding: 0 1; }
    NewSessionOffer #offer-buttons { height: auto; align: right middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "New session"),
        Binding("n,escape", "answer(False)", "Keep this one"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="offer"):
            yield Static(Text(self.text), id="offer-text")
            with Horizontal(id="offer-buttons"):
                yield Button("y  New session", id="offer-yes", variant="warning")
                yield Button("n  Keep this one", id="offer-no")

    @on(Button.Pressed, "#offer-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#offer-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
