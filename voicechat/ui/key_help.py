"""The ``?`` screen: every key of the main screen and what it does, with the keys really bound.

Many TUIs (lazygit, htop, less) answer ``?`` with their keys; the footer cannot hold them all on
an 80-column terminal, so this is where the rest live. It lists the remapped keys when the config
file remaps them, and says which keys the current mode does not use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from voicechat.ui import keys

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("Tab", "focus the transcript (↑/↓ scroll it); Tab again: the event pane (↑/↓, Enter: an "
            "event's JSON)"),
    ("Esc", "leave the message box or the event pane"),
    ("ctrl+p", "command palette: every action by name, themes, screenshots"),
    ("click", "on the problem banner: show its full text and fix"),
)


def help_rows(keymap: dict[str, str], mode: str) -> list[tuple[str, str, bool]]:
    """(keys, what it does, usable in ``mode``) for every binding, in footer order."""
    rows = []
    for binding in keys.BINDINGS:
        bound = keymap.get(binding.id or "", binding.key)
        usable = keys.action_available(binding.action, mode)
        rows.append((keys.key_label(bound), keys.DESCRIPTIONS.get(binding.id or "", ""), usable))
    return rows


class KeyHelp(ModalScreen[None]):
    """A modal list of keys; any of ``?``, ``Esc`` or ``q`` closes it."""

    DEFAULT_CSS = """
    KeyHelp { align: center middle; }
    KeyHelp > VerticalScroll { width: 100%; max-width: 96; height: auto; max-height: 100%;
                               background: $panel; border: tall $primary; padding: 0 1; }
    KeyHelp Static { width: 100%; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,escape,q", "close", "Close", show=False),
    ]

    def __init__(self, keymap: dict[str, str], mode: str) -> None:
        super().__init__()
        self.rows = [(bound, text + ("" if usable else f" (not in {mode} mode)"), usable)
                     for bound, text, usable in help_rows(keymap, mode)]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for bound, text, usable in self.rows:
            table.add_row(bound, Text(text, style="" if usable else "dim"))
        for bound, text in EXTRA_KEYS:
            table.add_row(bound, text)
        # scrolls (arrows, page keys, the wheel): at 80x24 the list is taller than the screen,
        # and its last entries could not be reached (issue 36, item 5)
        with VerticalScroll():
            yield Static(Text("Keys  (? or Esc closes; arrows scroll)", style="bold"))
            yield Static(table)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # so the arrows and page keys scroll it

    def action_close(self) -> None:
        self.dismiss(None)

    def on_click(self, event: Any) -> None:
        self.dismiss(None)
