"""The GPT-Live driver: where the sans-IO :class:`~voicechat.core.live.LiveSession` meets the
event loop (the same ``transmit()`` pattern as :mod:`voicechat.runtime.driver` for Realtime;
what it shares with Gemini's driver is :class:`~voicechat.runtime.duplex.driver.DuplexDriver`).

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

from voicechat.core.inputs import TransportState
from voicechat.core.live import (
    CancelDelegation,
    LiveInput,
    LivePolicy,
    LiveSession,
    LiveView,
    MicStream,
    PlaybackFlushed,
    RunDelegation,
)
from voicechat.runtime.duplex.driver import DuplexDriver, DuplexEffects
from voicechat.runtime.fanout import EventFanout


@dataclass(frozen=True)
class LiveEffects:
    """Where the session's actions land: the shared ones, the mic's stream mode and the client
    delegations."""

    shared: DuplexEffects
    mic_stream: Callable[[str], None]  # hold | live | silence
    run_delegation: Callable[[RunDelegation], None]
    cancel_delegation: Callable[[CancelDelegation], None]


class LiveDriver(DuplexDriver[LiveInput, LiveView]):
    """Owns the :class:`LiveSession`, its timer, and carrying out what it asks for."""

    session: LiveSession

    def __init__(self, policy: LivePolicy, events: EventFanout, effects: LiveEffects, *,
                 clock: Callable[[], float]) -> None:
        super().__init__(events, effects.shared, clock=clock)
        self._own = effects
        self.policy = policy
        self.session = LiveSession(policy)
        self._announced: set[int] = set()  # turn numbers published as local.live.turn
        self._cut: set[int] = set()  # ... and those published as interrupted
        self._mode: str | None = None

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

    def user(self, action: str, inp: LiveInput) -> None:
        """A user command: logged as a key, then fed."""
        self._events.local({"type": "local.key", "action": action})
        self.handle(inp)

    def transport_state(self, state: str) -> None:
        self.handle(TransportState(state))

    # --- draining (DuplexDriver's hooks) ---------------------------------------------------------

    def _flushed(self, dropped_ms: int) -> None:
        """The core counts what was played: the dropped audio goes straight back to it."""
        self._apply(self.session.handle(PlaybackFlushed(float(dropped_ms)), self._clock()))

    def _carry_out(self, action: object) -> None:
        if isinstance(action, MicStream):
            self._mic(action)
        elif isinstance(action, RunDelegation):
            self._own.run_delegation(action)
        elif isinstance(action, CancelDelegation):
            self._own.cancel_delegation(action)

    def _drained(self) -> None:
        self._publish_turns()

    def _mic(self, action: MicStream) -> None:
        if action.mode == self._mode:
            return
        self._mode = action.mode
        self._events.local({"type": "local.mic.stream", "mode": action.mode,
                            "reason": action.reason})
        self._own.mic_stream(action.mode)

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
