"""The voicechat TUI: one screen over a :class:`~voicechat.ui.handle.ConversationHandle`.

Data flow, and why:

* The app never runs audio or transport code; it reads ``handle.view`` (an immutable snapshot
  from the session core) and ``handle.input_level`` when it draws, and sends user commands as
  method calls on the handle. Nothing is pushed to the UI per audio frame.
* LogRecords from ``handle.subscribe`` arrive on the loop thread (one per event); the callback
  only appends to a list and asks for a frame, which hands the batch to the event-flow pane.
  That coalesces a delta flood into one repaint per frame (:mod:`voicechat.ui.screen_sync`).
* Frames (:mod:`voicechat.ui.frame_pacer`): the transcript, timeline, event pane and status bar
  are brought up to date together when records arrived, at most about seven times a second, so a
  streaming answer costs one frame per 150 ms, not one per widget per tick; the mic meter is
  read twenty times a second only while the mic is live, the timeline redrawn on a clock only
  while it moves with time. An idle app wakes for nothing (bench/bench_tui.py).
* Only the loop thread touches widgets.
* Problems (no device, server unreachable, rejected config, expired key) become a banner with
  the fix, one line each, never a traceback; the app stays open so the user can read it and quit.
* It fits 80×24: on a narrow terminal the event pane starts hidden (``e`` shows it), the
  footer keeps the keys that matter first, and ``?`` lists every key.
* A tool call that needs the user's approval opens a modal, one at a time
  (:mod:`voicechat.ui.tools_ui`); each call shows in the transcript where the model made it,
  and the status bar counts a running call's seconds.
* Push-to-talk is a toggle until the terminal proves it reports key releases (kitty keyboard
  protocol, :mod:`voicechat.ui.key_release`); from then on it is hold-to-talk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from voicechat.ui import key_release, keys
from voicechat.ui.banner import ProblemBanner
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.frame_pacer import FramePacer
from voicechat.ui.gc_pause import quieten_gc
from voicechat.ui.handle import ConversationHandle
from voicechat.ui.key_help import KeyHelp
from voicechat.ui.palette import PaletteState, app_commands
from voicechat.ui.pane_layout import PaneLayout
from voicechat.ui.problems import Problem, problem_from_exception
from voicechat.ui.recording_toggle import RecordingToggle
from voicechat.ui.screen_sync import ScreenSync, Widgets
from voicechat.ui.session_keys import SessionKeys
from voicechat.ui.settings_ui import SettingsOnScreen
from voicechat.ui.talk_key import TalkKey, TalkKeyActions
from voicechat.ui.themes import DEFAULT_THEME, VARIABLE_DEFAULTS, ThemeSwitch
from voicechat.ui.tools_ui import ToolKeys, ToolsOnScreen
from voicechat.ui.typed import send_typed
from voicechat.ui.unavailable_keys import UnavailableKeys
from voicechat.ui.viewstate import UiState
from voicechat.ui.widget_access import WidgetAccess
from voicechat.ui.widgets.event_pane import EventPane
from voicechat.ui.widgets.message_box import MessageBox
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.transcript import Transcript
from voicechat.ui.widgets.vad_timeline import VadTimeline

POLL_HZ = 20.0
"""How often the mic meter is read while the mic is live."""

APP_CSS = """
Screen { layout: vertical; }
#body { height: 1fr; }
#left { width: 3fr; }
#right { width: 2fr; min-width: 34; border-left: tall $panel; }  /* event names need ~22 */
Screen.-wide #left, Screen.-wide #right { width: 1fr; }
Screen.-narrow #left, Screen.-narrow #right { width: 1fr; }
Screen.-narrow #right { min-width: 0; }
#right.-hidden { display: none; }
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
Screen.-transcribe.-wide #left { width: 2fr; }  /* captions and timeline side by side */
"""


class VoiceChatApp(WidgetAccess, TalkKeyActions, SessionKeys, UnavailableKeys, ToolKeys,
                   App[int]):
    """The main screen: status, problems, transcript + VAD timeline, event flow, input, footer."""

    TITLE = "voicechat"
    AUTO_FOCUS = None  # letters are hotkeys: nothing that eats them is focused at start
    CSS = APP_CSS
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = list(
        keys.app_bindings()
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
        self._start_handle = start_handle
        self._unsubscribe: Any = None
        self._started = False
        self._stopping = False
        self.exit_code = 0
        self.state = UiState()
        self.pacer = FramePacer(self, self._frame, meter_hz=poll_hz)
        self.talk_key = TalkKey(self, handle, self._user_keymap)
        self.recording = RecordingToggle()
        self.tools = ToolsOnScreen(self, handle)
        self.live = SettingsOnScreen(self, handle, lambda: self.state.session_text,
                                     withdraw=self._withdraw, keymap=self._user_keymap)
        self.poll = ScreenSync(handle, report=self._report, warn=self._warn,
                               mode_changed=self._mode_changed, clock=clock,
                               calls_changed=self.tools.calls_changed,
                               inform=lambda text: self.notify(text, timeout=6))
        self.layout_choice = PaneLayout()
        self.themes = ThemeSwitch(theme_dirs)

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
            yield EventPane(id="right")
        yield MessageBox(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self._widgets = Widgets(
            status=self.query_one("#status", StatusBar),
            problems=self.query_one("#problems", ProblemBanner),
            transcript=self.query_one("#captions", Transcript),
            timeline=self.query_one("#timeline", VadTimeline),
            events=self.query_one("#events", EventFlow),
        )
        for warning in self.themes.install(self, self._requested_theme):
            self._warn(warning)
        if self._user_keymap:
            self.set_keymap(keys.app_keymap(self._user_keymap))
        self._unsubscribe = self.handle.subscribe(self._on_record)
        self.sync()
        self._apply_layout()
        if self._start_handle:
            self._start()
        else:
            self._started = True
        if not self.is_headless:
            self.call_after_refresh(quieten_gc)  # short GC pauses (gc_pause.py)

    @work(exclusive=True, group="handle")
    async def _start(self) -> None:
        try:
            await self.handle.start()
        except Exception as exc:  # every start-up failure becomes a banner, not a traceback
            self._report(problem_from_exception(exc))
            self.exit_code = 1
            return
        self._started = True

    # --- frames --------------------------------------------------------------------------------

    def _on_record(self, record: Any) -> None:
        """Subscriber callback (loop thread): queue it, ask for a frame, record if asked to."""
        self.poll.on_record(record)
        self.live.on_record(record)  # a settings change the server refused: offer a new session
        self.pacer.request()
        if self.recording.on and (failure := self.recording.write(record)) is not None:
            self._warn(failure)

    def sync(self) -> None:
        """Bring every widget up to date with the handle now (keys, and tests, call it)."""
        self._frame(True)
        self.pacer.content_done()

    def _tick(self) -> None:
        """One tick of the pacer's clock (the meter; content when due)."""
        self.pacer.tick()

    def _frame(self, content: bool) -> None:
        """The status bar, and with ``content`` the transcript, timeline and event pane too, in
        one frame; then tell the pacer what still moves on its own."""
        # A timer can still fire while the app shuts down (any exit path, not only the quit
        # key, and `run_test` in the tests): Textual stops the app running before it prunes the
        # screens, and a widget being pruned has lost its styles.
        if self._stopping or not self.is_running or not self._has_screen():
            return
        self.state = self.poll.sync(self._widgets, content=content)
        self.pacer.keep(meter=self.poll.meter_live(self.state),
                        moving=self.poll.timeline_moving(self._widgets),
                        meter_moved=self.poll.meter_moved)

    def _has_screen(self) -> bool:
        try:
            return bool(self.screen_stack)
        except (KeyError, LookupError):  # no mode any more: shutting down
            return False

    def _mode_changed(self, mode: str) -> None:
        self.screen.set_class(mode == "transcribe", "-transcribe")
        self.call_after_refresh(self.refresh_bindings)  # the footer offers what the mode uses

    def _report(self, problem: Problem) -> None:
        if problem.level != "error":
            self.notify(str(problem), severity="warning", timeout=5)
            return
        shown = self.problems.shown
        self.problems.add(problem)
        if not shown:
            self.refresh_bindings()  # "x Dismiss" joins the footer

    def _withdraw(self, problem: Problem) -> None:
        """A problem was fixed: off the banner (and "x Dismiss" off the footer with the last)."""
        shown = self.problems.shown
        self.problems.withdraw(problem)
        if shown and not self.problems.shown:
            self.refresh_bindings()

    def _warn(self, message: str) -> None:
        self.notify(message, severity="warning", timeout=4)

    # --- actions (keys and palette) --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what the mode has no use for (footer and palette), and Dismiss with no banner."""
        if action == "dismiss_problems":
            return self.problems.shown
        return self.talk_key.enabled(action) and keys.action_available(action, self.state.mode)

    def action_focus_input(self) -> None:
        self.query_one("#message", MessageBox).open()

    @on(MessageBox.Sent)
    def _send_message(self, event: MessageBox.Sent) -> None:
        problem = send_typed(self.handle, event.text)  # text, or /image PATH [caption]
        if problem is not None:  # say it, and give the text back to fix
            self.notify(problem, severity="error", timeout=10)
            box = self.query_one("#message", MessageBox)
            box.open()
            box.value = event.text

    def action_cycle_filter(self) -> None:
        mode = self.query_one(EventPane).cycle_filter()
        self.notify(f"event filter: {mode.replace('_', ' ')}", timeout=2)

    def action_cycle_theme(self) -> None:
        self.theme = self.themes.after(self.theme, self.theme_cycle)
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_key_help(self) -> None:
        if not isinstance(self.screen, KeyHelp):
            self.push_screen(KeyHelp(self._user_keymap, self.state.mode or "vad"))

    def action_toggle_events(self) -> None:
        self.layout_choice.toggle(self.size.width)
        self._apply_layout()

    def action_dismiss_problems(self) -> None:
        self.problems.dismiss()
        self.refresh_bindings()

    def action_problem_details(self) -> None:
        self.problems.toggle_details()

    def action_settings(self) -> None:
        self.live.open()

    def action_latency(self) -> None:
        """``l``: every answered turn's wait for first audio, as bars of its stages."""
        from voicechat.ui.latency_screen import LatencyScreen

        board = self.poll.board
        self.push_screen(LatencyScreen(board.turns, board.barge_ins))

    def action_toggle_recording(self) -> None:
        self.notify(self.recording.toggle(), timeout=4)

    def action_save_conversation(self) -> None:
        """ctrl+s: the conversation so far as Markdown; says where it went (or why not)."""
        try:
            path = self.handle.save_conversation()
        except OSError as exc:
            self._warn(f"the conversation was not saved to {exc.filename or 'the data folder'}: "
                       f"{exc.strerror or exc}. Check that the folder is writable.")
            return
        if path is None:
            self.notify("nothing to save yet: the conversation has no turns", timeout=4)
        else:
            self.notify(f"conversation saved to {path}", timeout=8)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own "Keys" (its help panel) beside ours (the ? key help) listed Keys twice
        # (issue 36, item 9): ours is the one that knows the remaps and the modes
        ours = {"Keys"}
        yield from (command for command in super().get_system_commands(screen)
                    if command.title not in ours)
        state = PaletteState(
            mode=self.state.mode, muted=self.state.mic_reason == "user",
            barge_in=self.state.barge_in, recording=self.recording.on,
            problems=self.problems.shown,
            events_shown=self.layout_choice.events_shown(self.size.width),
            keymap=self._user_keymap)
        yield from app_commands(state, lambda action: lambda: self.run_action(action))
        yield from self.live.commands()  # settings, and new sessions on other servers/models

    # --- layout --------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width)  # self.size may not have caught up yet

    def _apply_layout(self, width: int | None = None) -> None:
        if self._has_screen() and hasattr(self, "_widgets"):
            self.layout_choice.apply(self.screen, self.query_one("#right"),
                                     self.query_one(Footer),
                                     self.size.width if width is None else width)

    async def action_quit(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self.pacer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.tools.stop()  # no prompt any more; what still waits is denied
        self.recording.stop()
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
        import sys

        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    result = app.run()
    return int(result) if result is not None else app.exit_code
