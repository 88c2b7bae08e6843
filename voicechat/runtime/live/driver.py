"""The GPT-Live driver: where the sans-IO :class:`~voicechat.core.live.LiveSession` meets the
event loop (the same ``transmit()`` pattern as :mod:`voicechat.runtime.driver` for Realtime).

Every input (a server frame, a user command, a local fact, the timer) is fed with the current
time and the actions drained at once: ``Send`` to the link, ``FlushPlayback`` to the speaker
(the dropped audio goes straight back as ``PlaybackFlushed``), ``MicStream`` to the mic pump,
tools and delegations to their runners, notices to the event stream. Closed turns are published
as ``local.live.turn`` events, which is what ``--no-ui`` prints and tests read: the transcript
deltas themselves are too many to print. A turn found interrupted only after it was published
(the user's words arrived after the answer's turn closed) is published once more as
``local.live.interrupted`` with what was heard of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicechat.audio.playback import RATE
from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send
from voicechat.core.inputs import TransportState
from voicechat.core.live import (
    CancelDelegation,
    LiveAction,
    LiveInput,
    LivePolicy,
    LiveSession,
    LiveView,
    MicStream,
    PlaybackFlushed,
    RunDelegation,
)
from voicechat.runtime.deadline_timer import DeadlineTimer
from voicechat.runtime.fanout import EventFanout


@dataclass(frozen=True)
class LiveEffects:
    """Where the session's actions land."""

    send: Callable[[dict[str, Any]], None]
    flush_playback: Callable[[], int]  # returns the samples dropped
    mic_stream: Callable[[str], None]  # hold | live | silence
    run_tool: Callable[[RunTool], None]
    cancel_tool: Callable[[CancelTool], None]
    run_delegation: Callable[[RunDelegation], None]
    cancel_delegation: Callable[[CancelDelegation], None]


class LiveDriver:
    """Owns the :class:`LiveSession`, its timer, and carrying out what it asks for."""

    def __init__(self, policy: LivePolicy, events: EventFanout, effects: LiveEffects, *,
                 clock: Callable[[], float]) -> None:
        self.policy = policy
        self.session = LiveSession(policy)
        self._events = events
        self._effects = effects
        self._clock = clock
        self._timer = DeadlineTimer(clock, self._on_timer)
        self._announced: set[int] = set()  # turn numbers published as local.live.turn
        self._cut: set[int] = set()  # ... and those published as interrupted
        self._mode: str | None = None

    @property
    def view(self) -> LiveView:
        return self.session.view()

    @property
    def mic_mode(self) -> str:
        return self._mode or "hold"

    def reset_policy(self, policy: LivePolicy) -> None:
        """A new policy before the session started (the tools known once their sources are
        up); the config is fixed at ``session.start``, so later it cannot change."""
        if self.session.state != "idle":
            raise RuntimeError("the GPT-Live session config is fixed once it started")
        self.policy = policy
        self.session = LiveSession(policy)

    # --- feeding ---------------------------------------------------------------------------------

    def start(self) -> None:
        """The session begins: ``session.start`` over WebSocket, nothing over WebRTC."""
        self._apply(self.session.start(self._clock()))

    def receive_text(self, text: str) -> None:
        """One server frame: logged as it came (or as ``local.unparsed``), then fed."""
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            self._events.emit("in", event)
            self._apply(self.session.receive(event, self._clock()))
        else:
            self._events.emit("in", {"type": "local.unparsed", "text": text[:200]})
            self._apply(self.session.receive_wire(text, self._clock()))

    def handle(self, inp: LiveInput) -> None:
        self._apply(self.session.handle(inp, self._clock()))

    def user(self, action: str, inp: LiveInput) -> None:
        """A user command: logged as a key, then fed."""
        self._events.local({"type": "local.key", "action": action})
        self.handle(inp)

    def transport_state(self, state: str) -> None:
        self.handle(TransportState(state))

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        """The echo canceller's residual-echo verdict (``hold``: the speaker-underrun hold's).
        GPT-Live's mic is never gated, so the verdict changes nothing here; it is logged
        (``local.aec.leak``) by the echo control."""

    def close(self) -> None:
        """No more timers: the conversation is ending."""
        self._timer.close()

    # --- draining --------------------------------------------------------------------------------

    def _apply(self, actions: list[LiveAction]) -> None:
        effects = self._effects
        for action in actions:
            if isinstance(action, Send):
                effects.send(action.event)
            elif isinstance(action, FlushPlayback):
                dropped = effects.flush_playback()
                dropped_ms = dropped * 1000 // RATE
                self._events.local({"type": "local.playback.flushed", "dropped_ms": dropped_ms})
                self._apply(self.session.handle(PlaybackFlushed(float(dropped_ms)),
                                                self._clock()))
            elif isinstance(action, MicStream):
                self._mic(action)
            elif isinstance(action, Notice):
                self._events.notice(action.level, action.message)
            elif isinstance(action, RunTool):
                effects.run_tool(action)
            elif isinstance(action, CancelTool):
                effects.cancel_tool(action)
            elif isinstance(action, RunDelegation):
                effects.run_delegation(action)
            elif isinstance(action, CancelDelegation):
                effects.cancel_delegation(action)
        self._publish_turns()
        self._arm_timer()

    def _mic(self, action: MicStream) -> None:
        if action.mode == self._mode:
            return
        self._mode = action.mode
        self._events.local({"type": "local.mic.stream", "mode": action.mode,
                            "reason": action.reason})
        self._effects.mic_stream(action.mode)

    def _publish_turns(self) -> None:
        for turn in self.session.view().turns:
            if turn.interrupted and turn.number in self._announced - self._cut:
                self._cut.add(turn.number)
                self._events.local({"type": "local.live.interrupted", "speaker": turn.speaker,
                                    "start_ms": turn.start_ms, "end_ms": turn.end_ms,
                                    "heard": (turn.heard_text or "").strip()})
            if turn.closed and turn.number not in self._announced and turn.text.strip():
                self._announced.add(turn.number)
                event: dict[str, Any] = {"type": "local.live.turn", "speaker": turn.speaker,
                                         "text": turn.text.strip(),
                                         "start_ms": turn.start_ms, "end_ms": turn.end_ms}
                if turn.interrupted:
                    event["interrupted"] = True
                    self._cut.add(turn.number)
                self._events.local(event)

    def _arm_timer(self) -> None:
        self._timer.arm(self.session.next_deadline())

    def _on_timer(self) -> None:
        self._apply(self.session.handle_timer(self._clock()))
