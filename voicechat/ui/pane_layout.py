"""Which panes the main screen shows at a given terminal width.

At 80 columns the event pane left the transcript ~46 columns and itself ~32, too little for
either, so below :data:`NARROW` it starts hidden; ``e`` shows or hides it at any width, and that
choice then sticks. From :data:`WIDE` columns it gets half the width, room for full event names.
On a narrow terminal the footer is compact, so every key and the command-palette hint fit.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

NARROW = 100
WIDE = 120


class PaneLayout:
    """The event pane's visibility: by width until the user chooses."""

    def __init__(self) -> None:
        self.choice: bool | None = None  # None: by terminal width

    def events_shown(self, width: int) -> bool:
        return self.choice if self.choice is not None else width >= NARROW

    def toggle(self, width: int) -> None:
        self.choice = not self.events_shown(width)

    def apply(self, screen: Screen[object], events_pane: Widget, footer: Footer,
              width: int) -> None:
        screen.set_class(width < NARROW, "-narrow")
        screen.set_class(width >= WIDE, "-wide")
        events_pane.set_class(not self.events_shown(width), "-hidden")
        # Below NARROW the footer goes compact (one space between items instead of padding):
        # the keys and "^p palette" then fit 80 columns, where the padded footer cut the last
        # keys off ("f Fi") and left no room for the palette. Neither reactive recomposes the
        # footer by itself, so it is asked to when one changes.
        compact = width < NARROW
        if footer.compact != compact or not footer.show_command_palette:
            footer.compact = compact
            footer.show_command_palette = True
            footer.refresh(recompose=True)
