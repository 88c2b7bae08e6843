"""The transcript pane: every turn in conversation order, in one line-API scroll view.

Why one widget (measured with bench/bench_tui.py): finished turns used to sit in a RichLog and
the turns still changing in a small live widget below it. Every commit grew the RichLog and
every few deltas grew the live area, and each size change relaid the whole screen out, so most
streaming frames re-drew the whole body. Here history and live text are one list of wrapped
lines (:mod:`voicechat.ui.widgets.transcript_lines`): a delta re-wraps only the paragraphs that
changed, only the lines whose strips differ are repainted, and a new line only tells the scroll
machinery the count (:mod:`voicechat.ui.scroll_size`), with no relayout. While the view is at
the bottom it follows new text; scrolled up, it stays where the user reads.

"Committed" entries are the leading final ones (and any beyond :data:`MAX_LIVE_ENTRIES` from the
end): the tail after them can still change — the streaming assistant turn, a user turn whose
transcription is pending, and anything after it — and is drawn with the streaming cursor. A
committed entry that changes later (a finished answer becomes "cut off" after a barge-in) is just
re-wrapped. A width change re-wraps everything once (after a short pause while the terminal is
being resized), as does a theme change that changes a colour the lines use.

In transcribe mode the same widget shows live captions: no role labels, deltas in the live tail,
final text per segment.

A tool call is one entry where the model made it, among the assistant's items: its name, short
arguments, status, duration and a short result (:mod:`voicechat.ui.tool_entry`); with
:meth:`Transcript.set_tool_details` every call also shows its source, full arguments and
result, indented below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from voicechat.ui import cjk_wrap
from voicechat.ui.scroll_size import set_line_count
from voicechat.ui.tool_entry import ToolStyles, render_tool_entry
from voicechat.ui.viewstate import Entry
from voicechat.ui.widgets.transcript_lines import TranscriptLines

MAX_LIVE_ENTRIES = 6
"""Entries kept live at most; older ones count as committed even if not final, so one
transcription that never resolves cannot keep the whole tail live."""

MIN_WRAP = 20
"""Narrowest wrap width: below it, lines are cut rather than wrapped one word per line."""

ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "caption": ""}


class Transcript(ScrollView, can_focus=True):
    """User and assistant turns in conversation order; see the module docstring."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; background: $surface; padding: 0 1; overflow-x: hidden;
                 overflow-y: auto; scrollbar-size-vertical: 1; }
    Transcript .transcript--user { color: $vc-user; }
    Transcript .transcript--assistant { color: $vc-assistant; }
    Transcript .transcript--status { color: $vc-dim; }
    Transcript .transcript--problem { color: $error; }
    Transcript .transcript--tool { color: $vc-dim; }
    Transcript .transcript--tool-ok { color: $success; }
    Transcript .transcript--tool-bad { color: $error; }
    Transcript .transcript--tool-wait { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--user",
        "transcript--assistant",
        "transcript--status",
        "transcript--problem",
        "transcript--tool",
        "transcript--tool-ok",
        "transcript--tool-bad",
        "transcript--tool-wait",
    }

    def __init__(self, *, captions: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.captions = captions
        self._entries: tuple[Entry, ...] = ()
        self._committed = 0
        self._lines = TranscriptLines()
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None
        self._last_width = 0
        self._resize_timer: Timer | None = None
        self._follow_pending = False
        self._restyle_pending = False
        self.rebuilds = 0
        """How many times every line was re-wrapped (exposed for tests and the benchmark)."""
        self.tool_details = False
        """Tool calls show their source, full arguments and result below their line."""

    # --- public API -------------------------------------------------------------------------

    @property
    def committed_count(self) -> int:
        return self._committed

    def history_lines(self) -> list[str]:
        """The committed entries' lines as drawn (wrapped), for tests and plain-text export."""
        end = self._lines.paragraph_start(self._committed)
        return [strip.text.rstrip() for strip in self._lines.strips[:end]]

    def live_text(self) -> str:
        """The entries that can still change, unwrapped ("" when none)."""
        live = self._entries[self._committed:]
        return "\n".join(self._render_entry(e, live=True).plain for e in live)

    def set_captions(self, captions: bool) -> None:
        if captions != self.captions:
            self.captions = captions
            self.rebuild()

    def set_tool_details(self, shown: bool) -> None:
        """Show (or fold again) every tool call's source, full arguments and result."""
        if shown != self.tool_details:
            self.tool_details = shown
            self.rebuild()

    def update_entries(self, entries: Sequence[Entry]) -> None:
        """Show ``entries`` (the whole transcript, in order). Cheap when little changed."""
        entries = tuple(entries)
        if entries is self._entries:
            return
        self._entries = entries
        self._show()

    def rebuild(self) -> None:
        """Re-wrap every entry (after a width, theme or mode change)."""
        self.rebuilds += 1
        self._styles = {}
        self._base = None
        self._lines.forget()
        self._show()

    # --- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        strips = self._lines.strips
        base = self._base_style()
        if index >= len(strips):
            return Strip.blank(width, base)
        strip = strips[index]
        if strip.cell_length != width:  # drawn before the re-wrap after a resize
            strip = strip.adjust_cell_length(width, base).crop(0, width)
        return strip

    def notify_style_update(self) -> None:
        """Styles were re-applied (a theme switch, a CSS change, focus): once they have all
        been, re-draw the lines if a colour they use changed (strips keep the colours they
        were drawn with). Resolved any earlier, a theme's styles are still the old ones."""
        super().notify_style_update()
        if not self._restyle_pending:
            self._restyle_pending = True
            self.call_later(self._restyle)

    def _restyle(self) -> None:
        self._restyle_pending = False
        old_base, old_styles = self._base, self._styles
        self._base, self._styles = None, {}
        changed = old_base is not None and self._base_style() != old_base
        changed = changed or any(self._style(name) != style for name, style in old_styles.items())
        if changed and self._entries:
            self.rebuild()

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        if self._last_width and width != self._last_width and self._entries:
            if self._resize_timer is not None:
                self._resize_timer.stop()
            self._resize_timer = self.set_timer(0.2, self.rebuild)
        elif not self._last_width and self._entries:
            self.rebuild()  # entries arrived before the first layout gave a width
        self._last_width = width

    # --- internals --------------------------------------------------------------------------

    def _show(self) -> None:
        entries = self._entries
        committed = 0
        while committed < len(entries) and entries[committed].final:
            committed += 1
        self._committed = max(committed, len(entries) - MAX_LIVE_ENTRIES)
        width = max(MIN_WRAP, self.scrollable_content_region.width or self.size.width - 2)
        following = self.scroll_y >= self.max_scroll_y
        old_count = len(self._lines.strips)
        changed = self._lines.update(
            [(e, index >= self._committed) for index, e in enumerate(entries)],
            width, self._render_strips)
        if changed is None:
            return
        count = len(self._lines.strips)
        if count != old_count:
            settled = set_line_count(self, count)
            if following:
                self._follow(settled)
            if settled:
                self.refresh()  # the lines moved up or the count changed: all of the view
            return
        first, last = changed
        top = int(self.scroll_offset.y)
        first, last = max(first, top), min(last, top + self.size.height)
        if last > first:
            self.refresh_lines(first, last - first)

    def _follow(self, settled: bool) -> None:
        """Keep the newest line in view: at once when the scroll machinery knows the count,
        else after the layout the new count scheduled (once however many updates come)."""
        if settled:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        elif not self._follow_pending:
            self._follow_pending = True
            self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        self._follow_pending = False
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _render_strips(self, entry: Entry, live: bool, width: int) -> list[Strip]:
        """One entry wrapped to ``width``, as strips of exactly that many cells."""
        base = self._base_style()
        console = self.app.console
        strips = []
        for line in cjk_wrap.wrap(self._render_entry(entry, live=live, width=width), console,
                                  width):
            strip = Strip(list(line.render(console, end="")))
            strip = strip.apply_style(base).adjust_cell_length(width, base).crop(0, width)
            strips.append(strip)
        return strips

    def _base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def _render_entry(self, entry: Entry, *, live: bool, width: int = 80) -> Text:
        if entry.role == "tool":
            styles = ToolStyles(dim=self._style("transcript--tool"),
                                ok=self._style("transcript--tool-ok"),
                                bad=self._style("transcript--tool-bad"),
                                wait=self._style("transcript--tool-wait"))
            return render_tool_entry(entry, styles, width=width, details=self.tool_details)
        text = Text()
        if entry.earlier:  # a resumed conversation's turn: dimmed and labelled, above the new
            label = ROLE_LABELS.get(entry.role, entry.role.title())
            dim = self._style("transcript--status")
            text.append(f"{label} (earlier): ", dim + Style(bold=True))
            text.append(entry.text, dim)
            return text
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
            elif entry.truncated and entry.heard is not None:
                self._append_heard(text, entry.text, entry.heard)
                if entry.latency:
                    text.append(f"\n  {entry.latency}", self._style("transcript--status"))
                return text
            else:
                text.append(entry.text)
            if entry.truncated or status == "incomplete":
                text.append(" — cut off", self._style("transcript--problem"))
        if entry.latency and not live:
            text.append(f"\n  {entry.latency}", self._style("transcript--status"))
        return text

    def _append_heard(self, text: Text, said: str, heard: str) -> None:
        """An answer the user cut off: what they heard, the cut, and the rest dimmed as not
        heard (issue 36: the TUI showed the whole answer where ``export`` shows what was
        heard, and the model keeps only that)."""
        heard = heard.rstrip()
        unheard = said[len(heard):].strip()
        if heard:
            text.append(heard)
            text.append(" — cut off", self._style("transcript--problem"))
        else:
            text.append("— cut off before a word was heard", self._style("transcript--problem"))
        if unheard:
            text.append(f" (not heard: {unheard})", self._style("transcript--status"))
