"""The driver: the one place where the sans-IO session core meets the event loop.

The pattern is aioquic's ``transmit()``: every input (a decoded server frame, a user command, a
local fact, a timer firing) is fed to the :class:`~voicechat.core.session.Session` with the
current time, and the actions it returns are drained at once to where they go — ``Send`` to the
link, a mute to the transport's pending mic audio, a flush to the speaker, notices and mic changes
to the event stream — after which the one timer is re-armed at the core's
:meth:`~voicechat.core.session.Session.next_deadline`. Nothing else in the runtime calls the
session; everything else reads its :class:`~voicechat.core.view.SessionView`.

The driver also owns the session's lifetime across reconnects: :meth:`Driver.renew` starts a
fresh session (the old one describes a server session that no longer exists) and carries over
what the user set — barge-in, their mute, no mic — and the count of completed responses. The new
session's transcript fills from the server's echo of the seeded turns; until it has them all (or
for :data:`HOLD_TRANSCRIPT_S` at most) the view keeps showing the old transcript, so the screen
never goes blank in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from voicechat.audio.playback import RATE
from voicechat.core import (
    Action,
    AskApproval,
    CancelTool,
    EchoLeaking,
    FlushPlayback,
    Input,
    LocalRecord,
    MicReason,
    MuteMic,
    Notice,
    PausePlayback,
    ResumePlayback,
    RunTool,
    Send,
    Session,
    SessionPolicy,
    SessionView,
    SetBargeIn,
    SetLocalDetector,
    SetMicAvailable,
    SetPttStyle,
    SetTools,
    ToggleMute,
    ToolRecord,
    ToolSpec,
    TranscriptEntry,
    UnmuteMic,
)
from voicechat.core.view import MediaNow
from voicechat.protocol.frames import ServerFrame, decode_server_frame
from voicechat.runtime.deadline_timer import DeadlineTimer
from voicechat.runtime.fanout import EventFanout

HOLD_TRANSCRIPT_S = 3.0


@dataclass(frozen=True)
class _HeldTranscript:
    """The old session's transcript, shown until the new one has caught up with the seed."""

    entries: tuple[TranscriptEntry, ...]
    seeded: int
    until: float


@dataclass(frozen=True)
class Effects:
    """Where the session's actions land (the link and the speaker side)."""

    send: Callable[[dict[str, Any]], None]
    drop_pending_mic: Callable[[], None]
    flush_playback: Callable[[], int]  # returns the samples dropped
    pause_playback: Callable[[], None] | None = None
    resume_playback: Callable[[], None] | None = None
    run_tool: Callable[[RunTool], None] | None = None
    cancel_tool: Callable[[CancelTool], None] | None = None
    ask_approval: Callable[[AskApproval], None] | None = None


class Driver:
    """Owns the :class:`Session`, its timer, and carrying out what it asks for."""

    def __init__(
        self,
        policy: SessionPolicy,
        events: EventFanout,
        effects: Effects,
        *,
        clock: Callable[[], float],
    ) -> None:
        self.policy = policy
        self.session = Session(policy)
        self._events = events
        self._effects = effects
        self._clock = clock
        self._timer = DeadlineTimer(clock, self._on_timer)
        self._mic_available = True
        self._mic_logged: str | None = None  # last mic state logged: "live" or a mute reason
        self._earlier_completed = 0  # completed responses of the sessions before this one
        self._held: _HeldTranscript | None = None
        self._echo_leaking = False
        self._echo_hold = False
        self._local_detector = False
        self.resumes = 0  # ResumePlayback carried out (the local detector reads it)
        self._started = False

    # --- reading ---------------------------------------------------------------------------------

    def media_now(self) -> MediaNow:
        """The mic pump's per-frame reads, without a snapshot (:meth:`Session.media_now`)."""
        return self.session.media_now()

    def audio_cut(self, item_id: str | None) -> bool:
        """Incoming audio of ``item_id`` (``None``: untagged) is of a cut answer
        (:meth:`Session.audio_cut`)."""
        return self.session.audio_cut(item_id)

    @property
    def view(self) -> SessionView:
        view = self.session.view
        held = self._held
        if held is None:
            return view
        caught_up = sum(1 for entry in view.entries if entry.text) >= held.seeded
        if caught_up or self._clock() >= held.until:
            self._held = None
            return view
        return replace(view, entries=held.entries)

    @property
    def completed_responses(self) -> int:
        """Responses completed in this conversation, over every session a reconnect started."""
        return self._earlier_completed + self.session.completed_responses

    # --- feeding ---------------------------------------------------------------------------------

    def decode(self, text: str) -> tuple[ServerFrame, float]:
        """Decode one server frame and log what arrived (or what it looked like); returns the
        frame and when it arrived, the time to :meth:`receive` it at.

        Why the arrival time: logging hands the record to every subscriber first, and one of
        them can stall (the recorder's write held a ``speech_stopped`` 54-90 ms in 3 of 16
        runs on a loaded machine). Read after them, the core's clock put the end of the turn
        that much late, and the TUI showed a wait that much shorter than the log's."""
        arrived = self._clock()
        frame = decode_server_frame(text, self.policy.dialect)
        self._events.emit("in", frame.wire if frame.wire is not None else {
            "type": "local.unparsed", "text": text[:200]})
        return frame, arrived

    def receive(self, frame: ServerFrame, at: float | None = None) -> None:
        """Take in a decoded frame, at its arrival time if known (see :meth:`decode`)."""
        self._apply(self.session.receive_frame(frame, self._clock() if at is None else at))

    def handle(self, inp: Input, at: float | None = None) -> list[Action]:
        """Feed ``inp`` and carry out its actions; returns them (a caller may want to know
        whether something was refused). ``at``: when the fact happened, if it was logged
        before (the log's subscribers may have taken time since: see :meth:`decode`)."""
        actions = self.session.handle(inp, self._clock() if at is None else at)
        self._apply(actions)
        return actions

    def user(self, action: str, inp: Input) -> list[Action]:
        """A user command: logged as a key, then fed."""
        self._events.local({"type": "local.key", "action": action})
        return self.handle(inp)

    def start(self) -> None:
        """The session's first ``session.update``, once a connection is up."""
        self._started = True
        self._apply(self.session.start(self._clock()))

    def set_ptt_style(self, style: str) -> None:
        """Switch push-to-talk style; the policy keeps it for a reconnect's session."""
        if style == self.policy.ptt_style:
            return
        self.user(f"ptt_style_{style}", SetPttStyle(style))  # the core refuses a bad style
        if style in ("toggle", "release"):
            self.policy = replace(self.policy, ptt_style=style)  # type: ignore[arg-type]

    def mic_unavailable(self) -> None:
        """No mic at all (none asked for, or no device): the core mutes it for good."""
        self._mic_available = False
        self.handle(SetMicAvailable(False))

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        """The echo canceller's residual-echo verdict (``hold``: only the underrun hold);
        kept for a reconnect's session."""
        self._echo_leaking = leaking
        self._echo_hold = hold
        self.handle(EchoLeaking(leaking, hold))

    def enable_barge_in(self) -> None:
        """Barge-in on by default (echo cancellation runs); kept for a reconnect's session."""
        self.policy = replace(self.policy, barge_in=True)
        self.handle(SetBargeIn(True))

    def enable_local_detector(self) -> None:
        """The local barge-in detector runs; kept for a reconnect's session. Turn detection
        becomes ``semantic_vad`` (see ``SessionPolicy.semantic_turns``), asked in the first
        ``session.update`` when the session has not started yet."""
        self._local_detector = True
        self.policy = replace(self.policy, semantic_turns=True)
        if not self._started:
            self.session = Session(self.policy)
        self.handle(SetLocalDetector(True))

    def set_tools(self, tools: tuple[ToolSpec, ...]) -> None:
        """The function tools on offer; kept for a reconnect's session. Before the session
        started they go into its first ``session.update``, after it a new one declares them."""
        self.policy = replace(self.policy, tools=tools)
        if not self._started:
            self.session = Session(self.policy)
        else:
            self.handle(SetTools(tools))

    def renew(self, *, seeded: int = 0) -> None:
        """A fresh session for a new connection, keeping what the user set in the old one;
        ``seeded`` turns of the old transcript are about to be sent to the new server."""
        old = self.view
        self._earlier_completed += old.completed_responses
        self.session = Session(self.policy)
        self.session.carry_usage(old.usage)
        now = self._clock()
        held = _HeldTranscript(old.entries, seeded, now + HOLD_TRANSCRIPT_S)
        self._held = held if seeded else None
        if not self._mic_available:
            self.session.handle(SetMicAvailable(False), now)
        if old.barge_in != self.policy.barge_in:
            self.session.handle(SetBargeIn(old.barge_in), now)
        if old.mic_reason is MicReason.USER:
            self.session.handle(ToggleMute(), now)
        if self._echo_leaking:
            self.session.handle(EchoLeaking(True, self._echo_hold), now)
        if self._local_detector:
            self.session.handle(SetLocalDetector(True), now)

    def close(self) -> None:
        """No more timers: the conversation is ending."""
        self._timer.close()

    # --- draining --------------------------------------------------------------------------------

    def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self._effects.send(action.event)
            elif isinstance(action, MuteMic):
                self._effects.drop_pending_mic()
                self._log_mic(str(action.reason.value))
            elif isinstance(action, UnmuteMic):
                self._log_mic("live")
            elif isinstance(action, FlushPlayback):
                dropped = self._effects.flush_playback()
                self._events.local({"type": "local.playback.flushed",
                                    "dropped_ms": dropped * 1000 // RATE})
            elif isinstance(action, Notice):
                self._events.notice(action.level, action.message)
            elif isinstance(action, ToolRecord | LocalRecord):
                self._events.local(action.event)
            elif isinstance(action, PausePlayback):
                if self._effects.pause_playback is not None:
                    self._effects.pause_playback()
            elif isinstance(action, ResumePlayback):
                self.resumes += 1
                if self._effects.resume_playback is not None:
                    self._effects.resume_playback()
            else:
                self._tool_action(action)
        self._arm_timer()

    def _tool_action(self, action: RunTool | CancelTool | AskApproval) -> None:
        effects = self._effects
        if isinstance(action, RunTool) and effects.run_tool is not None:
            effects.run_tool(action)
        elif isinstance(action, CancelTool) and effects.cancel_tool is not None:
            effects.cancel_tool(action)
        elif isinstance(action, AskApproval) and effects.ask_approval is not None:
            effects.ask_approval(action)

    def _log_mic(self, state: str) -> None:
        """Log a mic change once (a new session re-announces the state it starts in)."""
        if self._mic_logged == state:
            return
        self._mic_logged = state
        if state == "live":
            self._events.local({"type": "local.mic.unmuted"})
        else:
            self._events.local({"type": "local.mic.muted", "reason": state})

    def _arm_timer(self) -> None:
        self._timer.arm(self.session.next_deadline())

    def _on_timer(self) -> None:
        self._apply(self.session.handle_timer(self._clock()))
