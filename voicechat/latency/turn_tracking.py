"""The turn timeline's state and the parts every event's handler uses.

:class:`~voicechat.latency.timeline.TurnTimeline` is this state, its server events
(:mod:`voicechat.latency.server_events`) and its client events and local facts
(:mod:`voicechat.latency.client_events`), each in a module of its own; here is what they share:
the turn under way, what is generated and sounding, the filters a caller reads before handing an
event over (:attr:`TurnTracking.wants`, :attr:`TurnTracking.deltas_matter`), the end of a user's
turn, and the report of an answered one. Sans-IO, like the rest of the package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from voicechat.latency.barge_timing import BargeTiming
from voicechat.latency.model import BargeIn, Clock, EndKind, TurnLatency
from voicechat.latency.report import is_timed, report_turn
from voicechat.latency.session_facts import SessionFacts
from voicechat.latency.turn_state import TurnState

#: How long past the answer's ``response.done`` a log with the client's own records waits for
#: its ``local.playback.started`` before reporting the turn without it.
PLAYED_WAIT_S = 2.0
#: What the timeline returns when nothing completed (most events).
NOTHING: tuple[()] = ()
#: The most earlier turns kept waiting for their answer's audio (:attr:`TurnTracking._owed`):
#: answers play one after the other, so more than a few means a log that never plays them.
MOST_OWED = 8

Result = TurnLatency | BargeIn
#: A server event's handler: ``(now, event)``; what it completes goes to ``completed``.
Handler = Callable[[float, Mapping[str, Any]], None]


class TurnTracking:
    """The state one stream's events move, and the parts their handlers share."""

    def __init__(self, *, plays_locally: bool) -> None:
        """``plays_locally``: the stream is a client's own, which reports its playback
        (``local.playback.started``): a turn waits for it. Else that is learnt from the first
        ``local.*`` event (a log of ours)."""
        self._turn: TurnState | None = None
        self._owed: list[TurnState] = []
        """Earlier turns, oldest first, whose answer was made (its response created) but has
        not started to sound when the next turn ended: over WebRTC the server plays one
        answer's audio after the other, so lines sent at each ``response.done`` (piped, or
        typed quickly) end turns while earlier answers still wait for their turn to play.
        Each is timed when its own audio starts (issue 55: such a turn was dropped, and the
        next one measured through its playback)."""
        self._typed_pending = False
        self._facts = SessionFacts()  # the VAD's settings, the mic-audio clock
        self._side: set[str] = set()
        self._ours = plays_locally  # the client's own stream or log, with its playback
        self._webrtc = False
        self._active: str | None = None  # the response being generated
        self._sounding: str | None = None  # the response whose audio plays (as far as known)
        self._speaker = False  # the client's speaker plays (local.playback.started..drained)
        self._audio_pending = False  # a response was created whose first audio is to come
        self._clock: Clock = "wall"  # the clock of the event being handled: see _event
        self.completed: list[Result] = []
        #: Answered turns the mic-audio clock could not time (no audio appended between the
        #: end and the answer): in a log without times, a sign it has no clock at all.
        self.untimeable = 0
        """What completed since the last :meth:`take` (rarely anything: a turn, a barge-in)."""
        self._barge = BargeTiming()
        self._waiting = False
        """A done turn waits for its playback: time passing may end the wait."""
        self._wants_by: tuple[dict[str, Handler], ...] = ()
        """:attr:`wants` by state, at ``deltas + 2 * onset + 4 * waiting`` (the timeline
        fills it in, once it has its handlers)."""
        self.deltas_matter = False
        """Could an output delta change anything now (a turn's first audio or text, a new
        response's audio, a turn waiting out its playback)? While not, a caller may pass
        deltas over unread: most of a session's events (:mod:`voicechat.latency.records`)."""
        self.wants: Mapping[str, Handler] = {}
        """The server events that can change anything now, each to its handler: a caller
        that knows an event's type hands it over only when it is in here (the output deltas
        only while :attr:`deltas_matter`; the server's ``speech_started`` only while it would
        be an interruption's onset, an answer being generated or sounding), as
        ``wants[kind](now, event)`` at wall time ``now``, then :meth:`take`."""

    @property
    def waiting_for_playback(self) -> bool:
        """An answered turn is done and waits for its ``local.playback.started`` (time passing
        may end the wait: :data:`PLAYED_WAIT_S`)."""
        turn = self._turn
        return turn is not None and turn.done is not None and turn.first_audio is not None

    def take(self) -> Sequence[Result]:
        """What completed since the last call (usually nothing)."""
        out = self.completed
        if not out:
            return NOTHING
        self.completed = []
        return out

    def pending(self) -> TurnLatency | None:
        """The answered turn still open, as it would be reported now (a face that shows the
        figures before the stream ends: the export of a log cut mid-answer)."""
        turn = self._turn
        if turn is None or not is_timed(turn):
            return None
        return report_turn(turn, self._facts.vad, webrtc=self._webrtc)

    def _rewant(self) -> None:
        """Bring :attr:`wants`, :attr:`deltas_matter` and the playback wait up to date with
        the state: each handler that changes what they read calls this last (rather than a
        recompute after every event, which with the dispatch around it was a third of the
        bytecodes the session core ran for the timeline: ``bench/bench_core.py``).
        ``tests/latency/test_timeline.py`` checks after every event of any stream that they
        equal a fresh computation."""
        turn = self._turn
        if turn is None:
            deltas = self._audio_pending
            waiting = False
        else:
            waiting = turn.done is not None
            deltas = (self._audio_pending or turn.first_audio is None
                      or turn.first_text is None or waiting)
        if self._owed:  # (rarely any: answers queued behind one that still sounds)
            waiting = waiting or any(owed.done is not None for owed in self._owed)
            deltas = True  # (each waits for its first audio, or its playback)
        self._waiting = waiting
        self.deltas_matter = deltas
        onset = self._active is not None or self._sounding is not None
        self.wants = self._wants_by[deltas + 2 * onset + 4 * waiting]

    def _end(self, now: float, kind: EndKind) -> None:
        """The user's turn ended: a new turn starts. The one still open is reported if its
        audio came; kept (:attr:`_owed`) if its response was made and its audio is still to
        come; else superseded (the user spoke again before any answer was on its way)."""
        turn = self._turn
        if turn is not None:
            if turn.first_audio is not None:
                self._report_into(turn)
            elif turn.responses and not turn.unanswered:
                self._owed.append(turn)
                if len(self._owed) > MOST_OWED:
                    del self._owed[0]
        clock = self._clock
        # without times and without mic audio there is no clock at all: no figure beats 0 ms;
        # an answer still to sound, or sounding, plays before this turn's
        behind = self._sounding is not None or bool(self._owed)
        self._turn = TurnState(now, kind, clock, behind=behind) \
            if clock == "wall" or self._facts.mic_counted else None
        self._rewant()

    def _owner(self, response_id: object) -> TurnState | None:
        """The turn an event of ``response_id`` may belong to: an earlier turn waiting for
        that response's audio, else the open one (which still checks :meth:`TurnState.owns`)."""
        if self._owed and isinstance(response_id, str):
            for turn in self._owed:
                if response_id in turn.responses:
                    return turn
        return self._turn

    def _open_turns(self) -> list[TurnState]:
        """The turns still to be reported, oldest first: those owed, then the open one."""
        turn = self._turn
        return [*self._owed, turn] if turn is not None else list(self._owed)

    def _drop(self, turn: TurnState) -> None:
        """``turn`` is reported or will never be: it is no longer followed."""
        if self._turn is turn:
            self._turn = None
        elif turn in self._owed:
            self._owed.remove(turn)

    def _maybe_report(self, turn: TurnState, *, played_or_not: bool = False) -> None:
        """Report ``turn`` once it has its first audio and its ``done``, and its playback
        where the client logs playback (``played_or_not``: none will come for it now)."""
        if turn.first_audio is None or turn.done is None:
            return
        if turn.played is not None or not self._ours or played_or_not or turn.queued_locally:
            self._report_into(turn)
            self._drop(turn)

    def _expire(self, now: float) -> None:
        """A done turn whose playback never showed is reported once the wait is over."""
        for turn in self._open_turns() if self._owed else (self._turn,):
            if (turn is not None and turn.done is not None and turn.first_audio is not None
                    and now - max(turn.done, turn.first_audio) > PLAYED_WAIT_S):
                self._report_into(turn)
                self._drop(turn)
                self._rewant()

    def _report_into(self, turn: TurnState) -> None:
        if is_timed(turn):
            self.completed.append(report_turn(turn, self._facts.vad, webrtc=self._webrtc))
