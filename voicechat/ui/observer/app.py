"""The observer TUI: watch what a Realtime app and the server say to each other, live.

``voicechat proxy`` and ``voicechat watch`` build their producer (the proxy, or the sideband
watcher) and hand it with its :class:`~voicechat.observe.feed.ObserverFeed` to
:class:`ObserverApp`. The app runs the producer as a task in its own event loop and reads the
feed in a worker, so the producer and the screen share one loop and the producer never waits
for the screen: the feed is bounded and drops (and counts) what the screen cannot keep up with.

Cheap by construction: the worker drains up to ``batch`` items at a time, folds them into the
:class:`ObserverModel`, and repaints the shown session's panes once per batch (``refresh()``,
no relayout), then sleeps until the next tick. Only a session opening, a problem appearing or a
pane being toggled changes the layout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from voicechat.observe.feed import FeedDropped, ObservedEvent, ObservedItem, ObserverFeed
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.observer.model import ObserverModel
from voicechat.ui.observer.panes import ProblemsPane, ResponsePane, TranscriptPane, VadPane
from voicechat.ui.problems import Problem, redact

BATCH = 500
"""Feed items folded per tick at most; the rest wait for the next tick (or are dropped by the
feed if the backlog reaches its bound)."""

TICK_S = 0.1
"""Pause between batches: at most ten repaints a second whatever the event rate."""


class StatusLine(Widget):
    """One line: sessions, events seen, the producer's state and any feed drops."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text("waiting for a session…")

    def show(self, text: Text) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text


class SessionFlow(EventFlow):
    """The chat's event pane, one per session; it keeps following its newest event when it
    is shown again with a new size (it grows while hidden behind another session's)."""

    def on_resize(self, event: Resize) -> None:
        super().on_resize(event)
        if self.cursor is None:
            self.call_after_refresh(self.action_last)


class ObserverApp(App[None]):
    """Sessions, transcript, VAD markers, responses, events and problems of watched sessions."""

    CSS = """
    #body { height: 1fr; }
    #sessions { width: 30; display: none; border-right: solid $panel; }
    #sessions.-shown { display: block; }
    #conversation { width: 1fr; }
    #events { width: 1fr; border-left: solid $panel; }
    #events.-hidden, #vad-box.-hidden { display: none; }
    .section { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("n", "next_session(1)", "Next session"),
        Binding("p", "next_session(-1)", "Prev session"),
        Binding("e", "toggle_pane('events')", "Events"),
        Binding("v", "toggle_pane('vad-box')", "VAD"),
        Binding("x", "toggle_problems", "Problems"),
        Binding("f", "filter", "Filter events"),
        *(Binding(str(i), f"select_index({i - 1})", show=False) for i in range(1, 10)),
    ]

    def __init__(
        self,
        feed: ObserverFeed,
        *,
        title: str,
        producer: Callable[[], Awaitable[None]],
        batch: int = BATCH,
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__()
        self.feed = feed
        self.title = redact(title)
        self._producer = producer
        self._producer_task: asyncio.Task[None] | None = None
        self.producer_state = "running"  # running | finished | failed | cancelled
        self.model = ObserverModel()
        self.current: str | None = None
        self.batch = batch
        self.tick_s = tick_s
        self.feed_closed = False
        self._flows: dict[str, SessionFlow] = {}
        self._problems_hidden = False
        self._chosen = False  # the user picked a session: new ones no longer take the screen

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield OptionList(id="sessions")
            with Vertical(id="conversation"):
                yield Static("Transcript", classes="section")
                yield TranscriptPane(id="transcript")
                with Vertical(id="vad-box"):
                    yield Static("VAD", classes="section")
                    yield VadPane(id="vad")
                    yield Static("Responses", classes="section")
                    yield ResponsePane(id="responses")
            with Vertical(id="events"):
                yield Static("Events", classes="section")
                yield ContentSwitcher(id="flows")
        yield ProblemsPane(id="problems")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProblemsPane).show([], ())
        self._producer_task = asyncio.create_task(self._run_producer())
        self.run_worker(self._consume(), name="observer-feed", exclusive=True)

    # --- producer -------------------------------------------------------------------------

    async def _run_producer(self) -> None:
        """Run the proxy or watcher; a failure becomes a problem on screen, not a crash."""
        try:
            await self._producer()
        except asyncio.CancelledError:
            self.producer_state = "cancelled"
            raise
        except Exception as exc:  # whatever broke, the user must see it
            self.producer_state = "failed"
            name = type(exc).__name__
            self.model.run_problems.append(Problem(
                f"{self.title} stopped: {name}", redact(str(exc) or name),
                "run it again with --no-ui to see the full log"))
        else:
            self.producer_state = "finished"
            self.notify(f"{self.title} has finished; press q to quit", timeout=10)
        self._repaint()

    async def stop_producer(self) -> None:
        """Cancel the producer and wait for it to wind down (closing its sockets)."""
        task = self._producer_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def action_quit(self) -> None:
        await self.stop_producer()
        self.exit()

    async def on_unmount(self) -> None:
        await self.stop_producer()

    # --- feed -----------------------------------------------------------------------------

    async def _consume(self) -> None:
        while True:
            item = await self.feed.get()
            if item is None:
                self.feed_closed = True
                self._repaint()
                return
            batch = [item]
            while len(batch) < self.batch:
                more = self.feed.get_nowait()
                if more is None:
                    break
                batch.append(more)
            if not self.is_running:  # shutting down: Textual prunes the screens next
                return
            try:
                self.apply(batch)
            except NoMatches:
                return  # the screen is being torn down: the app is leaving
            await asyncio.sleep(self.tick_s)

    def apply(self, batch: list[ObservedItem]) -> None:
        """Fold a batch into the model, then update the screen once."""
        changed: set[str] = set()
        dropped = 0
        for item in batch:
            session = self.model.apply(item)
            if isinstance(item, FeedDropped):
                dropped += item.count
            if session is None:
                continue
            changed.add(session)
            if session not in self._flows:
                self._add_session(session)
            if isinstance(item, ObservedEvent):
                self._flows[session].add_record(item.record)
                self._toast_notice(session, item)
        if dropped:
            self.notify(f"the screen fell behind: {dropped} events dropped",
                        severity="warning", timeout=5)
        self._refresh_selector(changed)
        self._repaint(changed)

    def _toast_notice(self, session: str, item: ObservedEvent) -> None:
        """The proxy's or watcher's own warnings (a recording that failed, a line not sent)
        as toasts: they are about the observer, not the watched app, so not in Problems."""
        event = item.record.event
        level = event.get("level")
        if (item.record.dir == "local" and event.get("type") == "local.notice"
                and level in ("warning", "error")):
            self.notify(f"{redact(session)}: {redact(str(event.get('message', '')))}",
                        severity="error" if level == "error" else "warning", timeout=8)

    def _add_session(self, session: str) -> None:
        flow = SessionFlow(id=f"flow-{len(self._flows)}")
        flow.display = False  # ContentSwitcher hides only what it had when `current` was set
        self._flows[session] = flow
        self.query_one("#flows", ContentSwitcher).mount(flow)
        self.query_one("#sessions", OptionList).add_option(Option("", id=session))
        if self.current is None or (not self._chosen and self._worth_leaving(self.current)
                                    and not self._worth_leaving(session)):
            self.select(session)

    def _worth_leaving(self, session: str) -> bool:
        """Until the user picks one, a new conversation replaces the proxy's own HTTP log
        (kind ``rest``) or a closed session on screen: the new one is what they came to see."""
        state = self.model.sessions[session]
        return state.kind == "rest" or state.closed

    def _refresh_selector(self, changed: set[str]) -> None:
        selector = self.query_one("#sessions", OptionList)
        selector.set_class(len(self.model.order) > 1, "-shown")
        for session in changed:
            selector.replace_option_prompt(session, self.model.selector_label(session))

    # --- showing --------------------------------------------------------------------------

    def select(self, session: str) -> None:
        """Show ``session`` in every pane."""
        if session not in self._flows:
            return
        self.current = session
        flow = self._flows[session]
        self.query_one("#flows", ContentSwitcher).current = flow.id
        selector = self.query_one("#sessions", OptionList)
        index = self.model.order.index(session)
        if selector.highlighted != index:
            selector.highlighted = index
        self.sub_title = self.model.sessions[session].label
        self._repaint()

    def _repaint(self, changed: set[str] | None = None) -> None:
        state = self.model.sessions.get(self.current) if self.current else None
        if changed is None or (self.current in changed):
            for pane in (self.query_one(TranscriptPane), self.query_one(VadPane),
                         self.query_one(ResponsePane)):
                pane.show(state)
        problems = self.query_one(ProblemsPane)
        problems.show(self.model.run_problems, state.problems if state else ())
        problems.display = not self._problems_hidden
        self.query_one(StatusLine).show(self._status())

    def _status(self) -> Text:
        sessions = len(self.model.order)
        text = Text(f"{sessions} session{'s' if sessions != 1 else ''} · "
                    f"{self.model.events} events")
        if self.current:
            state = self.model.sessions[self.current]
            if state.closed:
                text.append(f" · this session was closed by {state.closed_by}", style="bold")
        if self.producer_state != "running":
            text.append(f" · {self.title} {self.producer_state}",
                        style="bold red" if self.producer_state == "failed" else "bold")
        if self.model.dropped:
            text.append(f" · ⚠ {self.model.dropped} events dropped (the screen fell behind)",
                        style="bold yellow")
        return text

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        """Enter or a click in the session list (select() only moves the highlight)."""
        if message.option.id is not None:
            self._chosen = True
            self.select(message.option.id)

    def action_next_session(self, step: int) -> None:
        self._chosen = True
        order = self.model.order
        if not order or self.current is None:
            return
        self.select(order[(order.index(self.current) + step) % len(order)])

    def action_select_index(self, index: int) -> None:
        self._chosen = True
        if index < len(self.model.order):
            self.select(self.model.order[index])

    def action_toggle_pane(self, pane_id: str) -> None:
        self.query_one(f"#{pane_id}").toggle_class("-hidden")

    def action_toggle_problems(self) -> None:
        self._problems_hidden = not self._problems_hidden
        self._repaint()

    def action_filter(self) -> None:
        if self.current is not None:
            mode = self._flows[self.current].cycle_filter()
            self.notify(f"events: {mode.replace('_', ' ')}", timeout=2)
