"""The voicechat TUI: one screen over a :class:`~voicechat.ui.handle.ConversationHandle`.

Data flow, and why:

* The app never runs audio or transport code; it reads ``handle.view`` (an immutable snapshot
  from the session core) and ``handle.input_level`` from a 20 Hz poll, and sends user commands
  as method calls on the handle. Nothing is pushed to the UI per audio frame.
* LogRecords from ``handle.subscribe`` arrive on the loop thread (one per event); the callback
  only appends to a list, and the same poll hands the batch to the event-flow pane. That
  coalesces a delta flood into one repaint per tick.
* Only the loop thread touches widgets.
* Problems (no device, server unreachable, rejected config, expired key) become a banner with
  the fix, never a traceback; the app stays open so the user can read it and quit.
* Push-to-talk is a toggle until the terminal proves it reports key releases (kitty keyboard
  protocol, :mod:`voicechat.ui.key_release`); from then on it is hold-to-talk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from voicechat.eventlog.record import LogRecord
from voicechat.ui import key_release, keys
from voicechat.ui.event_flow import FILTERS, EventDetail, EventFlow, FilterMode
from voicechat.ui.handle import AecStatus, ConnectionInfo, ConversationHandle
from voicechat.ui.problems import Problem, problem_from_event, problem_from_exception, redact
from voicechat.ui.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, ThemeProblem, load_themes
from voicechat.ui.viewstate import Notice, UiState, ViewReader
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.transcript import Transcript
from voicechat.ui.widgets.vad_timeline import VadTimeline

POLL_HZ = 20.0
EVENT_PANE_EVERY = 2  # poll ticks per event-pane update (10 Hz)
MAX_PROBLEMS = 3


class ProblemBanner(Static):
    """The most recent problems, each with its fix; hidden when there are none."""

    DEFAULT_CSS = """
    ProblemBanner { height: auto; max-height: 8; background: $error 20%; color: $text;
                    border-left: thick $error; padding: 0 1; display: none; }
    ProblemBanner.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if self.problems and self.problems[-1] == problem:
            return
        self.problems = [*self.problems, problem][-MAX_PROBLEMS:]
        self.update("\n".join(f"⚠ {p}" for p in self.problems))
        self.add_class("-shown")


@dataclass
class _Widgets:
    status: StatusBar
    problems: ProblemBanner
    transcript: Transcript
    timeline: VadTimeline
    events: EventFlow


class VoiceChatApp(App[int]):
    """The main screen: status, problems, transcript + VAD timeline, event flow, input, footer."""

    TITLE = "voicechat"
    AUTO_FOCUS = None  # letters are hotkeys: nothing that eats them is focused at start
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; }
    #left { width: 3fr; }
    #right { width: 2fr; min-width: 34; border-left: tall $panel; }  /* event names need ~22 */
    #event-detail { display: none; }
    #event-detail.-shown { display: block; }
    #events > .event-flow--in { color: $vc-event-in; }
    #events > .event-flow--out { color: $vc-event-out; }
    #events > .event-flow--error { color: $vc-event-error; text-style: bold; }
    #events > .event-flow--time { color: $vc-dim; }
    #events > .event-flow--local { color: $vc-dim; }
    #message { dock: bottom; margin-bottom: 1; border: tall $panel; display: none; }
    #message.-shown { display: block; }
    #message:focus { border: tall $primary; }
    Screen.-transcribe #left { layout: horizontal; }
    Screen.-transcribe #captions { width: 2fr; }
    Screen.-transcribe VadTimeline { width: 1fr; height: 1fr; border-left: tall $panel; }
    """

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = list(
        keys.BINDINGS
    )

    def __init__(
        self,
        handle: ConversationHandle,
        *,
        theme: str | None = None,
        keymap: Mapping[str, object] | None = None,
        theme_dirs: list[Any] | None = None,
        poll_hz: float = POLL_HZ,
        start_handle: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.handle = handle
        self._requested_theme = theme or DEFAULT_THEME
        self._user_keymap = keys.validate_keymap(keymap)
        self._poll_interval = 1.0 / poll_hz
        self._start_handle = start_handle
        self._pending: list[LogRecord] = []
        self._unsubscribe: Any = None
        self._reader = ViewReader()
        self._filter_index = 0
        self._clock = clock
        self._clock_skew: float | None = None
        self._seen_notices = 0
        self._started = False
        self._stopping = False
        self.exit_code = 0
        self.state = UiState()
        self._poll_timer: Timer | None = None
        self._ticks = 0
        self.hold_to_talk = False  # True once the terminal has shown it reports key releases
        themes, problems = load_themes(theme_dirs)
        self._file_themes = themes
        self._theme_problems: list[ThemeProblem] = problems

    # --- set-up ------------------------------------------------------------------------------

    def get_driver_class(self) -> Any:
        """On a real Linux/macOS terminal, Textual's driver plus kitty key-release reporting."""
        return key_release.driver_for(super().get_driver_class())

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ProblemBanner(id="problems")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Transcript(id="captions")
                yield VadTimeline(id="timeline")
            with Vertical(id="right"):
                yield EventFlow(max_lines=5000, id="events")
                yield EventDetail("", id="event-detail")
        yield Input(placeholder="Type a message and press Enter (Esc to go back)",
                    id="message", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self._widgets = _Widgets(
            status=self.query_one("#status", StatusBar),
            problems=self.query_one("#problems", ProblemBanner),
            transcript=self.query_one("#captions", Transcript),
            timeline=self.query_one("#timeline", VadTimeline),
            events=self.query_one("#events", EventFlow),
        )
        for theme in self._file_themes.values():
            self.register_theme(theme)
        name = self._requested_theme
        if self.get_theme(name) is None:
            self._report(Problem(f"Unknown theme {name!r}",
                                 f"available: {', '.join(self.theme_cycle)}",
                                 "use --theme with one of these names", level="warning"))
            name = DEFAULT_THEME if self.get_theme(DEFAULT_THEME) else "textual-dark"
        self.theme = name
        for problem in self._theme_problems:
            self._report(Problem("A theme file was skipped", str(problem),
                                 "fix it using themes/README.md", level="warning"))
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        self._unsubscribe = self.handle.subscribe(self._on_record)
        self.sync()
        self._poll_timer = self.set_interval(self._poll_interval, self._tick)
        if self._start_handle:
            self._start()
        else:
            self._started = True

    @work(exclusive=True, group="handle")
    async def _start(self) -> None:
        try:
            await self.handle.start()
        except Exception as exc:  # every start-up failure becomes a banner, not a traceback
            self.problems.add(problem_from_exception(exc))
            self.exit_code = 1
            return
        self._started = True

    # --- widgets -----------------------------------------------------------------------------

    # Widgets are looked up once at mount: the poll runs 20 times a second, and a timer tick
    # that lands while the app shuts down must not fail on a query.

    @property
    def problems(self) -> ProblemBanner:
        return self._widgets.problems

    @property
    def transcript(self) -> Transcript:
        return self._widgets.transcript

    @property
    def timeline(self) -> VadTimeline:
        return self._widgets.timeline

    @property
    def status_bar(self) -> StatusBar:
        return self._widgets.status

    @property
    def event_flow(self) -> EventFlow:
        return self._widgets.events

    @property
    def theme_cycle(self) -> list[str]:
        """Themes the theme key cycles through: ours (shipped + user), in file order."""
        return list(self._file_themes) or ["textual-dark", "textual-light"]

    @property
    def event_filter(self) -> FilterMode:
        return FILTERS[self._filter_index]

    # --- the poll: the only path from the session to the widgets --------------------------

    def _on_record(self, record: LogRecord) -> None:
        """Subscriber callback: runs on the loop thread, so it only queues."""
        self._pending.append(record)

    def sync(self) -> None:
        """Bring every widget up to date with the handle (tests call it directly)."""
        self._sync(events=True)

    def _tick(self) -> None:
        """The poll: transcript, timeline and status at 20 Hz, the event pane at half that.

        The event pane repaints every visible row when lines arrive; at 10 Hz it still looks
        live to a developer and costs half as much while deltas stream."""
        self._ticks += 1
        self._sync(events=self._ticks % EVENT_PANE_EVERY == 0)

    def _sync(self, *, events: bool) -> None:
        # The poll timer can still fire while the app shuts down (any exit path, not only the
        # quit key); by then the screens are gone and there is nothing left to update.
        if self._stopping or not self._has_screen():
            return
        records: list[LogRecord] = []
        if events:
            records, self._pending = self._pending, []
        if records:
            flow = self.event_flow
            for record in records:
                flow.add_record(record)
                problem = problem_from_event(record.dir, record.event)
                if problem is not None:
                    self._report(problem)
        state = self._reader.read(self.handle.view)
        self.state = state
        self.screen.set_class(state.mode == "transcribe", "-transcribe")
        self.transcript.set_captions(state.mode == "transcribe")
        self.transcript.update_entries(state.entries)
        self.timeline.set_segments(state.segments, self._core_now(state))
        self.status_bar.show(self._connection(), state, self._level(), self._aec())
        self._show_notices(state.notices)

    def _has_screen(self) -> bool:
        try:
            return bool(self.screen_stack)
        except (KeyError, LookupError):  # no mode any more: shutting down
            return False

    def _connection(self) -> ConnectionInfo:
        try:
            return self.handle.connection
        except Exception:  # a handle that failed to start may have none yet
            return ConnectionInfo(state="failed")

    def _level(self) -> float:
        try:
            return float(self.handle.input_level)
        except Exception:
            return 0.0

    def _aec(self) -> AecStatus:
        try:
            return self.handle.aec
        except Exception:  # a handle that failed to start (or an older one) has none
            return AecStatus()

    def _core_now(self, state: UiState) -> float:
        """The core's clock, estimated from segment times (the handle does not expose it).

        The smallest ``monotonic() - segment time`` seen is the offset between the clocks (zero
        when the runtime uses ``time.monotonic``, as the core's deadlines suggest). Tests and
        replays pass ``clock`` to the app instead.
        """
        if self._clock is not None:
            return self._clock()
        mono = time.monotonic()
        for seg in state.segments[-2:]:
            for t in (seg.start, seg.end):
                if t is not None:
                    skew = mono - t
                    if self._clock_skew is None or skew < self._clock_skew:
                        self._clock_skew = skew
        return mono - (self._clock_skew or 0.0)

    def _show_notices(self, notices: tuple[Notice, ...]) -> None:
        if len(notices) < self._seen_notices:
            self._seen_notices = 0
        for notice in notices[self._seen_notices:]:
            if notice.level == "error":
                self._report(Problem(redact(notice.message)))
            elif notice.level == "warning":
                self.notify(redact(notice.message), severity="warning", timeout=4)
        self._seen_notices = len(notices)

    def _report(self, problem: Problem) -> None:
        if problem.level == "error":
            self.problems.add(problem)
        else:
            self.notify(str(problem), severity="warning", timeout=5)

    # --- actions (keys) ----------------------------------------------------------------------

    def action_talk(self) -> None:
        """Press of the talk key. Hold-to-talk: the core opens the mic (and ignores auto-repeat
        presses while open); the release arrives as :class:`key_release.KeyReleased`.

        Toggle (no key release from the terminal): one press opens, the next closes. With
        ``ptt_style = "release"`` configured but no releases reported, the second press is
        delivered as the release."""
        state = self.state
        if self.hold_to_talk:
            self.handle.talk_pressed()
        elif state.ptt_style == "release" and state.mic_state == "live":
            self.handle.talk_released()
        else:
            self.handle.talk_pressed()

    def on_key_event_types_reported(self, message: key_release.KeyEventTypesReported) -> None:
        """Arrives before the first repeat or release, so a held key never toggles."""
        self.use_hold_to_talk()

    def on_key_released(self, message: key_release.KeyReleased) -> None:
        """Releases of the talk key close the mic; every other release is swallowed here."""
        if not key_release.is_release_of(message.key, self._talk_keys()):
            return
        self.use_hold_to_talk()
        self.handle.talk_released()

    def on_app_blur(self) -> None:
        """Hold-to-talk: a terminal that loses focus may never send the release; let go now
        rather than leave the mic open."""
        if self.hold_to_talk and self.handle.view.ptt_open:
            self.handle.talk_released()

    def use_hold_to_talk(self) -> None:
        """Switch push-to-talk to hold (core style "release") and say so in the footer."""
        if self.hold_to_talk:
            return
        self.hold_to_talk = True
        self.handle.set_ptt_style("release")
        # Textual has no public call to relabel a binding; the app's own BindingsMap is where
        # the footer (and set_keymap's remapping, which keeps descriptions) reads it from.
        bindings = self._bindings.key_to_bindings
        for key, key_bindings in bindings.items():
            bindings[key] = [replace(b, description=keys.TALK_HOLD_LABEL) if b.id == keys.TALK
                             else b for b in key_bindings]
        self.refresh_bindings()
        self.sync()

    def _talk_keys(self) -> list[str]:
        spec = self._user_keymap.get(keys.TALK) or ",".join(
            b.key for b in keys.BINDINGS if b.id == keys.TALK)
        return spec.split(",")

    def action_mute(self) -> None:
        self.handle.toggle_mute()

    def action_barge_in(self) -> None:
        self.handle.toggle_barge_in()

    def action_cancel(self) -> None:
        self.handle.cancel()

    def action_focus_input(self) -> None:
        box = self.query_one("#message", Input)
        box.disabled = False
        box.add_class("-shown")
        box.focus()

    def action_cycle_filter(self) -> None:
        self._filter_index = (self._filter_index + 1) % len(FILTERS)
        self.event_flow.set_filter(self.event_filter)
        self.notify(f"event filter: {self.event_filter.replace('_', ' ')}", timeout=2)

    def action_cycle_theme(self) -> None:
        names = self.theme_cycle
        index = names.index(self.theme) + 1 if self.theme in names else 0
        self.theme = names[index % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def watch_theme(self, theme: str) -> None:
        # RichLog lines keep the colours they were written with: rewrite them.
        widgets = getattr(self, "_widgets", None)
        if widgets is not None:
            widgets.transcript.rebuild()

    @on(EventFlow.Selected, "#events")
    def _show_event(self, event: EventFlow.Selected) -> None:
        detail = self.query_one("#event-detail", EventDetail)
        detail.show_record(event.record, event.count)
        detail.add_class("-shown")

    @on(Input.Submitted, "#message")
    def _send_message(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.handle.send_text(text)
        self._leave_input()

    def on_key(self, event: Any) -> None:
        if event.key != "escape":
            return
        if isinstance(self.focused, Input):
            event.stop()
            self._leave_input()
        elif isinstance(self.focused, EventFlow):
            event.stop()
            self.query_one("#event-detail", EventDetail).remove_class("-shown")
            self.focused.action_last()
            self.set_focus(None)

    def _leave_input(self) -> None:
        box = self.query_one("#message", Input)
        box.remove_class("-shown")
        box.disabled = True
        self.set_focus(None)

    async def action_quit(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        if self._poll_timer is not None:
            self._poll_timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._start_handle or self._started:
            # also after a failed or unfinished start: it may have half-opened things
            # (an embedded server, a device) that only stop() releases
            try:
                await asyncio.wait_for(self.handle.stop(), timeout=5.0)
            except Exception as exc:
                self.problems.add(problem_from_exception(exc))
        self.exit(self.exit_code)


def run_app(
    handle: ConversationHandle,
    *,
    theme: str | None = None,
    keymap: dict[str, Any] | None = None,
) -> int:
    """Run the TUI on ``handle`` until the user quits; returns the process exit code.

    The chat command calls exactly this. A bad keymap is reported before the screen opens (it is
    a config error, and the message names the entry and the valid ids).
    """
    try:
        app = VoiceChatApp(handle, theme=theme, keymap=keymap)
    except keys.KeymapError as exc:
        print(f"voicechat: {exc}")
        return 2
    result = app.run()
    return int(result) if result is not None else app.exit_code
