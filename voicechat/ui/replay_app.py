"""``voicechat replay``: play an event log back into the event-flow pane and a transcript.

The log is consumed lazily (an iterator with one record of look-ahead), so replaying a huge log
costs no more memory than the panes' own limits. Timing follows the log's ``t`` values divided
by the speed factor; idle gaps longer than :data:`MAX_GAP_S` (after scaling) are shortened so a
one-hour session with long pauses stays watchable, and the status line says so. Logs without
times arrive here already paced evenly by the caller.

Keys: space pause/resume, n or → step one event, + / - speed, f cycle the event filter, q quit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from voicechat.conversation.gemini_builder import GeminiConversationBuilder
from voicechat.eventlog.gemini_frames import PREFIX as GEMINI_PREFIX
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summary import tool_item_text
from voicechat.latency.records import RecordTimeline, latency_lines
from voicechat.protocol.text import printable
from voicechat.ui.event_flow import EventDetail, EventFlow
from voicechat.ui.live_transcript import LiveTurns
from voicechat.ui.themes import VARIABLE_DEFAULTS, load_themes
from voicechat.ui.themes import install as install_themes
from voicechat.ui.widgets.wrapped_log import WrappedLog

MAX_GAP_S = 3.0
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)

_ASSISTANT_DELTAS = frozenset({"response.output_audio_transcript.delta",
                               "response.audio_transcript.delta", "response.output_text.delta",
                               "response.text.delta"})
_ASSISTANT_DONE = {"response.output_audio_transcript.done": "transcript",
                   "response.audio_transcript.done": "transcript",
                   "response.output_text.done": "text", "response.text.done": "text"}
_ITEM_EVENTS = frozenset({"conversation.item.added", "conversation.item.created",
                          "conversation.item.done"})
#: Where a finished tool item shows: the server's item events, and the app's own answers.
_TOOL_ITEM_EVENTS = _ITEM_EVENTS | {"response.output_item.done", "conversation.item.create"}


_LIVE_EVENTS = frozenset({"session.input_transcript.delta", "session.output_transcript.delta"})


class TranscriptView(Vertical):
    """Finished turns in a :class:`WrappedLog` (wrapped to the pane, re-wrapped when it
    resizes, as the live transcript is), the assistant's streaming turn in a small live line."""

    DEFAULT_CSS = """
    TranscriptView { width: 1fr; }
    TranscriptView > WrappedLog { height: 1fr; background: $surface; }
    TranscriptView > #live { height: auto; min-height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []  # what was written, for tests and copy-out
        self._live: dict[str, str] = {}
        self._seen_items: set[str] = set()
        self._live_turns: LiveTurns | None = None  # made at a GPT-Live log's first fragment
        self._gemini: GeminiConversationBuilder | None = None  # at a Gemini log's first frame
        self._timing = RecordTimeline()  # each answer's latency, under it (issue 39)

    def compose(self) -> ComposeResult:
        yield WrappedLog(max_lines=5000, id="turns")
        yield Static("", id="live")

    def apply(self, record: LogRecord) -> None:
        """Update the transcript from one event (GA or beta names)."""
        event = record.event
        kind = str(event.get("type", ""))
        for line in latency_lines(self._timing, record):
            self._write("", line)
        if kind.startswith(GEMINI_PREFIX):
            self._gemini_turn(record)
            return
        if kind in _TOOL_ITEM_EVENTS:
            self._tool_item(event.get("item"), kind)
        if record.dir != "in":
            return
        if kind in _LIVE_EVENTS or self._live_turns is not None:
            self._live_turn(event, kind, record.t)
        if kind == "conversation.item.input_audio_transcription.completed":
            self._write("You", str(event.get("transcript") or "…"))
        elif kind in _ITEM_EVENTS:
            self._typed_user_item(event.get("item"))
        elif kind in _ASSISTANT_DELTAS:
            item = str(event.get("item_id", ""))
            delta = event.get("delta")
            if isinstance(delta, str):
                self._live[item] = self._live.get(item, "") + delta
                self._show_live()
        elif kind in _ASSISTANT_DONE:
            item = str(event.get("item_id", ""))
            text = event.get(_ASSISTANT_DONE[kind])
            self._live.pop(item, None)
            self._write("Assistant", str(text) if text else "…")
            self._show_live()
        elif kind == "conversation.item.truncated":
            self._write("", f"(assistant cut off at {event.get('audio_end_ms')} ms)")
        elif kind == "response.done":
            response = event.get("response")
            status = response.get("status") if isinstance(response, dict) else None
            if status in ("cancelled", "failed", "incomplete"):
                for item, text in list(self._live.items()):
                    self._write("Assistant", f"{text.strip()} [{status}]")
                    del self._live[item]
                self._show_live()

    def _live_turn(self, event: dict[str, Any], kind: str, t: float | None) -> None:
        """GPT-Live: fragments grouped into turns by the GPT-Live core's rules."""
        if self._live_turns is None:
            self._live_turns = LiveTurns()
        for who, text in self._live_turns.apply(event, t or 0.0):
            self._write(who, text or "…")
        self.query_one("#live", Static).update(self._live_turns.open_text())

    def _gemini_turn(self, record: LogRecord) -> None:
        """Gemini Live: transcription frames grouped into turns as export groups them."""
        if self._gemini is None:
            self._gemini = GeminiConversationBuilder()
        self._gemini.feed(record.dir, record.t, record.ts, record.event)
        for turn in self._gemini.take_finished():
            if turn.tool is not None:
                self._write("Tool", printable(f"{turn.tool.name}({turn.tool.arguments})"))
            else:
                who = "You" if turn.speaker == "user" else "Assistant"
                cut = " [interrupted]" if turn.status == "interrupted" else ""
                self._write(who, turn.text + cut)
        self.query_one("#live", Static).update(self._gemini.open_text())

    def _typed_user_item(self, item: Any) -> None:
        if not isinstance(item, dict) or item.get("role") != "user":
            return
        item_id = str(item.get("id", ""))
        if item_id in self._seen_items:
            return
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_text" and part.get("text"):
                self._seen_items.add(item_id)
                self._write("You", str(part["text"]))
                return

    def _tool_item(self, item: Any, event_kind: str) -> None:
        """A tool call, its output, an MCP call or approval, once, when it is finished."""
        if not isinstance(item, dict) or item.get("status") == "in_progress":
            return
        if item.get("type") == "mcp_list_tools" and event_kind == "conversation.item.added":
            return  # the listing is still running: its tools come with conversation.item.done
        text = tool_item_text(item)
        kind = item.get("type")  # the app's answer and the server's echo of it: one line
        key = f"output:{item.get('call_id')}" if kind == "function_call_output" else \
            f"approval:{item.get('approval_request_id')}" if kind == "mcp_approval_response" \
            else str(item.get("id"))
        if not text or key in self._seen_items:
            return
        if kind in ("mcp_call", "mcp_tool_call") and item.get("output") is None \
                and not item.get("error"):
            return  # its output is still to come
        self._seen_items.add(key)
        self._write("Tool", printable(text))

    def _write(self, who: str, text: str) -> None:
        line = f"{who}: {text.strip()}" if who else text
        self.lines.append(line)
        self.query_one("#turns", WrappedLog).add(line)

    def _show_live(self) -> None:
        text = " | ".join(t.strip() for t in self._live.values() if t.strip())
        self.query_one("#live", Static).update(f"Assistant: {text}" if text else "")


class ReplayApp(App[int]):
    """Replays records into an :class:`EventFlow`, a :class:`TranscriptView` and a status line."""

    TITLE = "voicechat replay"
    CSS = """
    #panes { height: 1fr; }
    #events { width: 3fr; }
    TranscriptView { width: 2fr; border-right: solid $panel; }
    #status { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    EventFlow > .event-flow--in { color: $vc-event-in; }
    EventFlow > .event-flow--out { color: $vc-event-out; }
    EventFlow > .event-flow--error { color: $vc-event-error; text-style: bold; }
    EventFlow > .event-flow--time { color: $vc-dim; }
    EventFlow > .event-flow--local { color: $vc-dim; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Pause/resume"),
        Binding("n", "step", "Step"),
        Binding("right", "step", "Step", show=False),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("f", "filter", "Filter"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, records: Iterable[LogRecord], *, speed: float = 1.0, source: str = "",
                 paused: bool = False, max_lines: int = 5000) -> None:
        super().__init__()
        self._source: Iterator[LogRecord] = iter(records)
        self._next: LogRecord | None = None
        self._exhausted = False
        self.speed = speed
        self.paused = paused
        self.finished = False
        self.replayed = 0
        self.source = source
        self._last_t: float | None = None
        self._wake = asyncio.Event()
        self._max_lines = max_lines
        self._note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield TranscriptView(id="transcript")
            with Vertical(id="events"):
                yield EventFlow(max_lines=self._max_lines, id="flow")
                yield EventDetail(id="detail")
        yield Static("", id="status")
        yield Footer()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def on_mount(self) -> None:
        themes, _problems = load_themes()  # a broken theme file never stops a replay
        install_themes(self, themes, None)
        self.query_one("#flow", EventFlow).focus()  # arrows move its cursor, Enter shows JSON
        self._update_status()
        self.run_worker(self._play(), exclusive=True, name="replay")

    # --- playback -------------------------------------------------------------------------

    def _peek(self) -> LogRecord | None:
        if self._next is None and not self._exhausted:
            self._next = next(self._source, None)
            self._exhausted = self._next is None
        return self._next

    async def _play(self) -> None:
        while True:
            record = self._peek()
            if record is None:
                break
            if self.paused:
                await self._wake.wait()
                self._wake.clear()
                continue
            delay = 0.0
            if self._last_t is not None:
                delay = max(0.0, record.t - self._last_t) / self.speed
            self._note = ""
            if delay > MAX_GAP_S:
                self._note = f"skipping {delay * self.speed:.0f} s of idle log"
                self._update_status()
                delay = MAX_GAP_S
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                    self._wake.clear()
                    continue  # paused, stepped or re-timed: decide again
                except TimeoutError:
                    pass
            self._note = ""  # the gap is over: the note would outlive it (even "end of log")
            self._emit_next()
        self.finished = True
        self._note = ""
        self._update_status()

    def _emit_next(self) -> bool:
        record = self._peek()
        if record is None:
            return False
        self._next = None
        self._last_t = record.t
        self.replayed += 1
        self.query_one("#flow", EventFlow).add_record(record)
        self.query_one("#transcript", TranscriptView).apply(record)
        self._update_status()
        return True

    def _update_status(self) -> None:
        if self.finished:
            state = "■ end of log"
        elif self.paused:
            state = "⏸ paused"
        else:
            state = "▶ playing"
        t = f"t={self._last_t:.2f}s" if self._last_t is not None else "t=–"
        flow_filter = self.query_one("#flow", EventFlow).filter
        parts = [state, f"{self.speed:g}×", f"{self.replayed} events", t, f"filter {flow_filter}"]
        if self._note:
            parts.append(self._note)
        if self.source:
            parts.append(self.source)
        self.query_one("#status", Static).update("  │  ".join(parts))

    # --- actions --------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        self._wake.set()
        self._update_status()

    def action_step(self) -> None:
        """Show the next event now (works while paused, and skips the wait while playing)."""
        if self._emit_next() or not self.finished:
            self._wake.set()

    def action_faster(self) -> None:
        self._set_speed(next((s for s in SPEEDS if s > self.speed), self.speed))

    def action_slower(self) -> None:
        self._set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), self.speed))

    def action_filter(self) -> None:
        self.query_one("#flow", EventFlow).cycle_filter()
        self._update_status()

    def _set_speed(self, speed: float) -> None:
        self.speed = speed
        self._wake.set()
        self._update_status()

    def on_event_flow_selected(self, message: EventFlow.Selected) -> None:
        self.query_one("#detail", EventDetail).show_record(message.record, message.count)
