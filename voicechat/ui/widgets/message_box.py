"""The typed-message line: hidden until ``/``, ``Enter`` sends, ``Esc`` goes back.

Hidden and disabled rather than merely unfocused while not in use: every letter is a hotkey on
the main screen, and a focused input would eat them.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class MessageBox(Input):
    """An :class:`Input` that posts :class:`MessageBox.Sent` and hides itself again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", show=False),
    ]

    async def _on_key(self, event: events.Key) -> None:
        # Textual's Input types only ``str.isprintable()`` characters, and U+3000 (the space a
        # full-width Chinese or Japanese IME types) is not one: it was dropped, and bubbled up
        # to the talk key instead (issue 37). Here it is text.
        if event.key == "ideographic_space":
            event.stop()
            event.prevent_default()
            self.insert_text_at_cursor("\u3000")
            return
        await super()._on_key(event)

    class Sent(Message):
        """The user pressed Enter on a non-empty message."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Type a message and press Enter (Esc to go back)", id=id,
                         disabled=True)

    def open(self) -> None:
        self.disabled = False
        self.add_class("-shown")
        self.focus()

    def action_leave(self) -> None:
        self.remove_class("-shown")
        self.disabled = True
        self.app.set_focus(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.value = ""
        if text:
            self.post_message(self.Sent(text))
        self.action_leave()
