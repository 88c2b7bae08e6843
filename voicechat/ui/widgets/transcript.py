"""The transcript pane: finished turns in a RichLog, turns still changing in one small live widget.

Why the hybrid (measured in docs/reference-notes.md, "Streaming text"): re-rendering a growing
widget per delta costs more with every turn, while RichLog's cost per written line stays flat
however long the history is. So only the tail that can still change — the streaming assistant turn,
a user turn whose transcription is pending, and anything after it — lives in a small line-API
widget (:class:`~voicechat.ui.widgets.live_text.LiveText`, wrapped once per change) that the app
refreshes at its poll rate (20 Hz at most), and an entry moves into the RichLog once it and every
entry before it are final. Conversation order is therefore kept even when a user transcript
arrives after the assistant has started answering.

RichLog keeps the width lines had when written and an already-written entry may still change
(a finished answer becomes "cut off" after a barge-in), so the log is rebuilt from the entries
on a width change and when a committed entry changes — both rare, both O(turns) once.

In transcribe mode the same widget shows live captions: no role labels, deltas in the live area,
final text per segment in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import RichLog

from voicechat.ui.viewstate import Entry
from voicechat.ui.widgets.live_text import LiveText

MAX_LIVE_ENTRIES = 6
"""Entries kept in the live area at most; older ones are committed even if not final, so one
transcription that never resolves cannot make the live widget grow without bound."""

LIVE_STEP = 3
"""The live area grows by this many lines at a time while a turn streams (see
``_commit_and_show_live``): fewer relayouts, at the cost of up to two blank lines below it."""

ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "caption": ""}


class Transcript(Vertical):
    """User and assistant turns in conversation order; see the module docstring."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; }
    Transcript > RichLog { height: 1fr; background: $surface; border: none; padding: 0 1;
                           overflow-y: auto; scrollbar-size-vertical: 1; }
    Transcript > #live { height: auto; max-height: 50%; padding: 0 1; background: $surface; }
    Transcript > #live.-empty { display: none; }
    Transcript .transcript--user { color: $vc-user; }
    Transcript .transcript--assistant { color: $vc-assistant; }
    Transcript .transcript--status { color: $vc-dim; }
    Transcript .transcript--problem { color: $error; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--user",
        "transcript--assistant",
        "transcript--status",
        "transcript--problem",
    }

    def __init__(self, *, captions: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.captions = captions
        self._entries: tuple[Entry, ...] = ()
        self._committed: list[Entry] = []
        self._live_key: tuple[Entry, ...] = ()
        self._live_height = -1
        self._live_start = -1
        self._styles: dict[str, Style] = {}
        self._last_width = 0
        self._resize_timer: Timer | None = None
        self.rebuilds = 0
        """How many times the history was rebuilt (exposed for tests and the benchmark)."""

    def compose(self) -> ComposeResult:
        yield RichLog(wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=20,
                      id="history")
        yield LiveText(id="live", classes="-empty")

    @property
    def history(self) -> RichLog:
        return self.query_one("#history", RichLog)

    @property
    def live(self) -> LiveText:
        return self.query_one("#live", LiveText)

    @property
    def committed_count(self) -> int:
        return len(self._committed)

    def set_captions(self, captions: bool) -> None:
        if captions != self.captions:
            self.captions = captions
            self.rebuild()

    def _shown(self) -> bool:
        """Attached with its panes: the app's poll timer can fire once more while the app shuts
        down and its widgets are being removed, and then there is nothing to update."""
        return self.is_attached and len(self.children) == 2

    def update_entries(self, entries: Sequence[Entry]) -> None:
        """Show ``entries`` (the whole transcript, in order). Cheap when little changed."""
        if not self._shown():
            return
        entries = tuple(entries)
        if entries is self._entries:
            return
        self._entries = entries
        committed = self._committed
        for index, old in enumerate(committed):
            if index >= len(entries) or (entries[index] is not old and entries[index] != old):
                self.rebuild()
                return
        self._commit_and_show_live()

    def rebuild(self) -> None:
        """Rewrite the history from the entries (after a resize, theme or committed change)."""
        if not self._shown():
            return
        self.rebuilds += 1
        self.history.clear()
        self._committed = []
        self._live_key = ()
        self._commit_and_show_live()

    def _commit_and_show_live(self) -> None:
        entries = self._entries
        start = len(self._committed)
        end = start
        while end < len(entries) and entries[end].final:
            end += 1
        end = max(end, len(entries) - MAX_LIVE_ENTRIES)
        if end > start:
            log = self.history
            for entry in entries[start:end]:
                log.write(self._render_entry(entry, live=False))
                self._committed.append(entry)
        live = entries[end:]
        if live != self._live_key:
            self._live_key = live
            widget = self.live
            widget.set_class(not live, "-empty")
            text = Text("\n").join(self._render_entry(e, live=True) for e in live)
            # A relayout per delta is what makes streaming expensive (A2), and a relayout is
            # of the whole screen. So the live area has a height of its own, reserved in steps
            # of LIVE_STEP lines while one turn streams (a new line of text every few deltas
            # would otherwise relayout each time), and set afresh when entries are committed.
            width = widget.content_region.width or self.size.width - 2  # hidden: no region
            height = widget.set_text(text, width)  # repaints, no relayout
            if end != self._live_start or height > self._live_height:
                self._live_start = end
                self._live_height = -(-height // LIVE_STEP) * LIVE_STEP
                widget.styles.height = max(1, self._live_height)  # schedules the layout

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def notify_style_update(self) -> None:
        # the theme changed: forget cached styles (the app rebuilds the history)
        self._styles = {}
        super().notify_style_update()

    def _render_entry(self, entry: Entry, *, live: bool) -> Text:
        text = Text()
        if not self.captions or entry.role not in {"user", "caption"}:
            label = ROLE_LABELS.get(entry.role, entry.role.title())
            role_style = "transcript--user" if entry.role == "user" else "transcript--assistant"
            text.append(f"{label}: ", self._style(role_style) + Style(bold=True))
        status = entry.status
        if status == "pending" and not entry.text:
            text.append("… transcribing", self._style("transcript--status"))
        elif status == "untranscribed" and not entry.text:
            text.append("[speech — transcription is off in this session]",
                        self._style("transcript--status"))
        elif status == "failed":
            if entry.text:
                text.append(entry.text + " ")
            reason = f": {entry.error}" if entry.error else ""
            text.append(f"[transcription failed{reason}]", self._style("transcript--problem"))
        else:
            if live and status in {"streaming", "pending"}:
                text.append(entry.text, Style(italic=self.captions))
                if not entry.text.endswith(" "):
                    text.append(" ")  # unstyled: a styled run must not start with a blank
                text.append("▍", self._style("transcript--status"))
            else:
                text.append(entry.text)
            if entry.truncated or status == "incomplete":
                text.append(" — cut off", self._style("transcript--problem"))
        return text

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        if self._last_width and width != self._last_width and self._committed:
            if self._resize_timer is not None:
                self._resize_timer.stop()
            self._resize_timer = self.set_timer(0.2, self.rebuild)
        self._last_width = width
