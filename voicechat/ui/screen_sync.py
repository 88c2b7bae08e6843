"""A frame's work: the only path from the conversation handle to the main screen's widgets.

Records from ``handle.subscribe`` arrive one per event on the loop thread; they are only queued
there, and a content frame hands the batch to the event pane (one repaint per frame, however many
deltas arrived). The session view is read at every frame and given to the status bar; a content
frame also gives it to the transcript and the timeline, so the content widgets change in the same
frame. Each widget repaints only the lines whose content changed. Notices and error events become
problems for the banner, warnings become toasts. When frames happen is
:mod:`voicechat.ui.frame_pacer`'s business; this part also tells it what moves on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.ui.banner import ProblemBanner
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.handle import AecStatus, ConnectionInfo, ConversationHandle
from voicechat.ui.latency_board import LatencyBoard
from voicechat.ui.problems import Problem, problem_from_event, redact
from voicechat.ui.tool_calls import ToolCall, running_label
from voicechat.ui.viewstate import Entry, Notice, UiState, ViewReader
from voicechat.ui.widgets.status_bar import StatusBar, meter, mic_label
from voicechat.ui.widgets.transcript import Transcript
from voicechat.ui.widgets.vad_timeline import NO_MARKERS, NO_SPEECH, VadTimeline


@dataclass
class Widgets:
    """The widgets the poll updates, looked up once at mount (a tick during shutdown must not
    fail on a query)."""

    status: StatusBar
    problems: ProblemBanner
    transcript: Transcript
    timeline: VadTimeline
    events: EventFlow


class ScreenSync:
    """Queues records and brings the widgets up to date (see the module docstring)."""

    def __init__(
        self,
        handle: ConversationHandle,
        *,
        report: Callable[[Problem], None],
        warn: Callable[[str], None],
        mode_changed: Callable[[str], None],
        clock: Callable[[], float] | None = None,
        calls_changed: Callable[[tuple[ToolCall, ...]], None] | None = None,
        inform: Callable[[str], None] | None = None,
    ) -> None:
        self.handle = handle
        self.inform = inform
        self.report = report
        self.warn = warn
        self.mode_changed = mode_changed
        self.calls_changed = calls_changed
        self._calls: tuple[ToolCall, ...] = ()
        self.pending: list[LogRecord] = []
        self.mic_ended = False
        self._reader = ViewReader()
        self._mode = ""
        self._clock = clock
        self._clock_skew: float | None = None
        self._seen_notices = 0
        self._bar = ""
        self.board = LatencyBoard()
        """Every answered turn timed from the records (the line under each answer, the
        status bar's median, the latency view)."""
        self._timed: tuple[tuple[Entry, ...], int, tuple[Entry, ...]] = ((), 0, ())
        self.meter_moved = False
        """Did the last frame see the level meter's bar change (it moves with the voice)?"""

    def on_record(self, record: LogRecord) -> None:
        """Subscriber callback: runs on the loop thread, so it only queues."""
        self.pending.append(record)
        if record.event.get("type") == "local.mic.ended":
            self.mic_ended = True  # "live" would be a lie from now on

    def _conversation_notice(self, event: dict[str, Any]) -> None:
        """Resuming and saving say what they did (how many turns were left out, where the file
        is) as a toast: the user asked for them, and the event pane may be hidden."""
        if event.get("type") != "local.notice":
            return
        message = redact(str(event.get("message", "")))
        if event.get("level") == "warning":
            self.warn(message)
        elif self.inform is not None:
            self.inform(message)

    def sync(self, widgets: Widgets, *, content: bool) -> UiState:
        """Update the status bar; with ``content`` also the event pane, transcript and
        timeline, together."""
        if content and self.pending:
            records, self.pending = self.pending, []
            widgets.events.add_records(records)
            for record in records:
                self.board.feed(record)
                problem = problem_from_event(record.dir, record.event)
                if problem is not None:
                    self.report(problem)
                elif record.event.get("topic") == "conversation":
                    self._conversation_notice(record.event)
        state = self._reader.read(self.handle.view)
        if content:
            captions = state.mode == "transcribe"
            widgets.transcript.set_captions(captions)
            widgets.transcript.update_entries(self._with_latency(state.entries))
            widgets.timeline.set_segments(state.segments, self.core_now(state))
            widgets.timeline.set_assistant_row(not captions)
            widgets.timeline.set_empty_note(NO_MARKERS if state.mode == "gemini" else NO_SPEECH)
        level = self.level()
        bar = meter(level)
        self.meter_moved, self._bar = bar != self._bar, bar
        tool = running_label(state.tool_calls, self.core_now(state)) if state.tool_calls else ""
        widgets.status.show(self.connection(), state, level, mic_ended=self.mic_ended,
                            aec=self.aec(), tool=tool, latency=self.board.median_text())
        # Every frame, not only when the calls changed since the last one: a request can be
        # on screen before any frame showed its call (the prompt pushes it at once), and a
        # reconnect's new session then shows the same empty tuple as before the call.
        self._calls = state.tool_calls
        if self.calls_changed is not None:
            self.calls_changed(state.tool_calls)
        if state.mode != self._mode:
            self._mode = state.mode
            self.mode_changed(state.mode)
        self._show_notices(state.notices)
        return state

    def _with_latency(self, entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        """``entries`` with each timed answer's latency line; worked out again only when the
        entries or the figures changed (a frame in between reuses the tuple)."""
        source, version, timed = self._timed
        if source is entries and version == self.board.version:
            return timed
        lines = self.board.lines
        timed = tuple(replace(entry, latency=lines[entry.id])
                      if entry.role == "assistant" and entry.id in lines else entry
                      for entry in entries) if lines else entries
        self._timed = (entries, self.board.version, timed)
        return timed

    def meter_live(self, state: UiState) -> bool:
        """Is the mic live (the assistant hears you)? Then its level meter moves on its own."""
        label, tone = mic_label(state, connected=self.connection().state == "connected",
                                ended=self.mic_ended)
        return tone == "live" or label == "push-to-talk open"

    def timeline_moving(self, widgets: Widgets) -> bool:
        """Does the screen change with time alone: the timeline (an open segment, or one in its
        window), or the status bar counting a running tool call's seconds?"""
        if any(c.status == "running" for c in self._calls):
            return True  # (a call awaiting approval shows no clock: nothing to tick for)
        return widgets.timeline.moves_with_time()

    def connection(self) -> ConnectionInfo:
        try:
            return self.handle.connection
        except Exception:  # a handle that failed to start may have none yet
            return ConnectionInfo(state="failed")

    def aec(self) -> AecStatus:
        try:
            return self.handle.aec
        except Exception:  # a handle that failed to start (or an older one) has none
            return AecStatus()

    def level(self) -> float:
        try:
            return float(self.handle.input_level)
        except Exception:
            return 0.0

    def core_now(self, state: UiState) -> float:
        """The core's clock, estimated from segment times (the handle does not expose it).

        The smallest ``monotonic() - segment time`` seen is the offset between the clocks (zero
        when the runtime uses ``time.monotonic``, as the core's deadlines suggest). Tests and
        replays pass ``clock`` instead.
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
        """Warnings as toasts. An error notice is not reported here: every handle also emits
        it as a ``local.notice`` record, which :meth:`sync` reports, and reporting both put
        two banners of one error on screen, worded differently (issue 55, item 11)."""
        if len(notices) < self._seen_notices:
            self._seen_notices = 0
        for notice in notices[self._seen_notices:]:
            if notice.level == "warning":
                self.warn(redact(notice.message))
        self._seen_notices = len(notices)
