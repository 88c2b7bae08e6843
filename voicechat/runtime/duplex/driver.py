"""The driver both full-duplex families share: a sans-IO core fed with the current time, its
actions carried out at once (the ``transmit()`` pattern of :mod:`voicechat.runtime.driver`).

GPT-Live's and Gemini's cores answer with the same shared actions (``Send``, ``FlushPlayback``,
``Notice``, ``RunTool``, ``CancelTool``: :mod:`voicechat.core.actions`) beside a few of their
own, and both ask for one timer at their next deadline. :class:`DuplexDriver` carries out the
shared ones and arms the timer after every drain; a family's driver feeds its wire into the
core, carries out its own actions (:meth:`DuplexDriver._carry_out`) and says what follows a
drain (:meth:`DuplexDriver._drained`: publish the closed turns, notice the end).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from voicechat.audio.playback import RATE
from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send
from voicechat.runtime.deadline_timer import DeadlineTimer
from voicechat.runtime.fanout import EventFanout

InputT = TypeVar("InputT")
ViewT = TypeVar("ViewT")
_InputT_contra = TypeVar("_InputT_contra", contravariant=True)
_ViewT_co = TypeVar("_ViewT_co", covariant=True)


class DuplexCore(Protocol[_InputT_contra, _ViewT_co]):
    """What the driver asks of a sans-IO core (``LiveSession``, ``GeminiSession``): inputs and
    the timer in with the time, actions out, a deadline and a view to read."""

    def start(self, now: float) -> Sequence[object]: ...

    def handle(self, inp: _InputT_contra, now: float) -> Sequence[object]: ...

    def handle_timer(self, now: float) -> Sequence[object]: ...

    def next_deadline(self) -> float | None: ...

    def view(self) -> _ViewT_co: ...


@dataclass(frozen=True)
class DuplexEffects:
    """Where the shared actions land (the link, the speaker, the tools); a family's own
    effects carry these as ``shared`` beside where its own actions land."""

    send: Callable[[dict[str, Any]], None]
    flush_playback: Callable[[], int]  # returns the samples dropped
    run_tool: Callable[[RunTool], None]
    cancel_tool: Callable[[CancelTool], None]


class DuplexDriver(ABC, Generic[InputT, ViewT]):
    """Owns a family's core (``session``, set by the family), its timer, and carrying out what
    it asks for."""

    session: DuplexCore[InputT, ViewT]

    def __init__(self, events: EventFanout, effects: DuplexEffects, *,
                 clock: Callable[[], float]) -> None:
        self._events = events
        self._effects = effects
        self._clock = clock
        self._timer = DeadlineTimer(clock, self._on_timer)

    @property
    def view(self) -> ViewT:
        """The core's snapshot."""
        return self.session.view()

    # --- feeding ---------------------------------------------------------------------------------

    def start(self) -> None:
        """The session begins (what the core sends first, if anything)."""
        self._apply(self.session.start(self._clock()))

    def handle(self, inp: InputT) -> None:
        self._apply(self.session.handle(inp, self._clock()))

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        """The echo canceller's residual-echo verdict (``hold``: the speaker-underrun hold's).
        A full-duplex mic is never gated (the service hears the user over the model), so the
        verdict changes nothing here; it is logged (``local.aec.leak``) by the echo control."""

    def close(self) -> None:
        """No more timers: the conversation is ending."""
        self._timer.close()

    # --- draining --------------------------------------------------------------------------------

    def _apply(self, actions: Sequence[object]) -> None:
        effects = self._effects
        for action in actions:
            if isinstance(action, Send):
                effects.send(action.event)
            elif isinstance(action, FlushPlayback):
                dropped_ms = effects.flush_playback() * 1000 // RATE
                self._events.local({"type": "local.playback.flushed", "dropped_ms": dropped_ms})
                self._flushed(dropped_ms)
            elif isinstance(action, Notice):
                self._events.notice(action.level, action.message)
            elif isinstance(action, RunTool):
                effects.run_tool(action)
            elif isinstance(action, CancelTool):
                effects.cancel_tool(action)
            else:
                self._carry_out(action)
        self._drained()
        self._timer.arm(self.session.next_deadline())

    def _flushed(self, dropped_ms: int) -> None:
        """Playback was flushed, ``dropped_ms`` of it unplayed (a core that counts what was
        played is told here)."""

    @abstractmethod
    def _carry_out(self, action: object) -> None:
        """One of the family's own actions (any other is ignored)."""

    @abstractmethod
    def _drained(self) -> None:
        """Every action of one call was carried out; before the timer is armed again."""

    def _on_timer(self) -> None:
        self._apply(self.session.handle_timer(self._clock()))
