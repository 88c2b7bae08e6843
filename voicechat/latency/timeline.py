"""The turn timeline (sans-IO): events in, with their time; timed turns and barge-ins out.

Why a package of its own beside ``core/`` rather than inside it: every face needs the same
figures (the client's runtime, the TUI, ``--no-ui``, the doctor, replay, export, the proxy and
watch), and the doctor and the proxy may not import the client core. So the timeline reads what
they all have, the event stream as the event log records it (canonical GA names; beta events
mapped at the edge), and follows the core's discipline: no clock, time passed in with each
event, no I/O (``sans-io`` contract, ``mypy --strict``).

Decisions where the sources are silent:

- The end of a user's turn is the *latest* end before the answer: a user who spoke again before
  any audio came is answered for the second utterance. A client's ``input_audio_buffer.commit``
  right after the server's ``speech_stopped`` (before ``committed``) is the same utterance: the
  earlier end is kept.
- A ``response.create`` with no user message before it (an app's greeting, a tool follow-up)
  starts no turn; one after a typed ``conversation.item.create`` does (end ``typed``).
- Out-of-band responses (``conversation_id: null``) are not answers.
- A turn is reported at its answering response's ``response.done``; in a log with the client's
  own records (``local.*``) it waits for ``local.playback.started`` too, at most
  :data:`~voicechat.latency.turn_tracking.PLAYED_WAIT_S` past the ``done`` (a silent speaker
  never plays).
- Without times (a JSON array of bare events) the clock is the mic audio the client appended
  (:mod:`voicechat.latency.session_facts`, with the VAD's settings), which a WebSocket client
  streams in real time: close while the mic keeps streaming, and labelled ``clock: audio`` so
  nobody reads it as wall time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from math import isfinite
from typing import Any

from voicechat.latency.client_events import BARGE_ACTIONS, ClientEvents
from voicechat.latency.server_events import ServerEvents
from voicechat.latency.turn_tracking import NOTHING, Handler, Result

__all__ = ["DELTAS", "NOTHING", "READS_IN", "READS_LOCAL", "READS_OUT", "Result", "TurnTimeline"]

_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.output_audio_transcript.delta"})
_AUDIO_DELTA = "response.output_audio.delta"
#: The output deltas: most of a session's events, passed over while they cannot matter
#: (:attr:`TurnTimeline.deltas_matter`).
DELTAS = _TEXT_DELTAS | {_AUDIO_DELTA}
#: The server and client events the timeline reads (canonical names): any other changes
#: nothing and is passed over before anything else is done with it.
READS_IN = DELTAS | frozenset({
    "session.created", "session.updated", "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "response.created",
    "response.done", "response.output_item.done",
    "output_audio_buffer.started", "output_audio_buffer.stopped", "output_audio_buffer.cleared"})
READS_OUT = BARGE_ACTIONS | frozenset({
    "session.update", "input_audio_buffer.commit", "input_audio_buffer.append",
    "conversation.item.create", "response.create"})
READS_LOCAL = frozenset({"local.transport.state", "local.playback.started",
                         "local.playback.drained", "local.bargein.paused",
                         "local.bargein.resumed"})
_ONSET = "input_audio_buffer.speech_started"
#: The kinds in :attr:`TurnTimeline.wants` by what can matter now, at index ``deltas + 2 *
#: onset``: the output deltas only while one can change anything, the server's speech_started
#: only while it would be an interruption's onset (most of a session's events, and a
#: speech_started per user turn, are then never handed over).
_WANTED = tuple(frozenset(kind for kind in READS_IN
                          if (deltas or kind not in DELTAS) and (onset or kind != _ONSET))
                for onset in (False, True) for deltas in (False, True))


class TurnTimeline(ServerEvents, ClientEvents):
    """Feed every event of one session, in order; get timed turns and barge-ins back.

    ``feed(t, direction, event)``: ``t`` in seconds on any monotonic scale (``None`` when the
    log has no times), ``direction`` ``in``/``out``/``local`` as in the event log, ``event``
    canonical (GA names). Returns what completed on it, usually nothing. :meth:`finish` at the
    end of the stream returns what was still waiting.

    The session core's faster way in for a server event at wall time: its handler straight
    from :attr:`wants` (``wants[kind](now, event)``), then :meth:`take`.
    """

    def __init__(self, *, plays_locally: bool = False) -> None:
        """``plays_locally``: the stream is a client's own, which reports its playback
        (``local.playback.started``): a turn waits for it. Else that is learnt from the first
        ``local.*`` event (a log of ours)."""
        super().__init__(plays_locally=plays_locally)
        self._on_server: dict[str, Handler] = {
            "session.created": self._session, "session.updated": self._session,
            "input_audio_buffer.speech_stopped": self._speech_stopped,
            "input_audio_buffer.speech_started": self._speech_started,
            "input_audio_buffer.committed": self._committed,
            "response.created": self._created, "response.done": self._done,
            "response.output_audio.delta": self._audio,
            "output_audio_buffer.started": self._audio,
            **dict.fromkeys(_TEXT_DELTAS, self._text),
            "response.output_item.done": self._item_done,
            "output_audio_buffer.stopped": self._buffer_stopped,
            "output_audio_buffer.cleared": self._buffer_stopped,
        }
        # wants by state: while a done turn waits for its playback, every handler first ends
        # the wait if it is over
        self._wants_by = tuple(
            {kind: (partial(self._expiring, self._on_server[kind]) if waiting
                    else self._on_server[kind]) for kind in kinds}
            for waiting in (False, True) for kinds in _WANTED)
        self.wants = self._wants_by[0]

    def __repr__(self) -> str:
        # its whole state (not the handler tables): the doctor's tests compare rules' states
        # fed two ways
        state = {name: value for name, value in vars(self).items()
                 if name not in ("_on_server", "_wants_by", "wants")}
        state["wants"] = sorted(self.wants)
        return f"TurnTimeline({state!r})"

    # --- the stream ----------------------------------------------------------------------

    def feed(self, t: float | None, direction: str, event: Mapping[str, Any]
             ) -> Sequence[Result]:
        kind = event.get("type")
        if direction == "in":
            if kind in DELTAS:
                if not self.deltas_matter:
                    return NOTHING
            elif kind not in READS_IN:
                return NOTHING
            if t is not None and isfinite(t):
                # a server event with its time: the session core's path, two calls shorter
                # (most of what a log's timeline reads)
                return self.server_event(t, kind, event)
            return self._untimed_server_event(kind, event)
        elif direction == "out":
            if kind == "input_audio_buffer.append":
                self._facts.count_mic(event.get("audio"))
                return NOTHING
            if kind not in READS_OUT:
                return NOTHING
        elif kind not in READS_LOCAL:
            return NOTHING
        return self._event(t, direction, kind, event)

    def server_event(self, now: float, kind: str, event: Mapping[str, Any]
                     ) -> Sequence[Result]:
        """:meth:`feed` of a server event the caller already knows the timeline reads
        (:data:`READS_IN`; a delta only while :attr:`deltas_matter`), at wall time ``now``."""
        if self._waiting:
            self._expire(now)
        self._on_server[kind](now, event)
        return self.take()

    def _untimed_server_event(self, kind: str, event: Mapping[str, Any]) -> Sequence[Result]:
        """A server event of a log without times, on the mic-audio clock: the path of a
        timed one (its handler keeps the filters current), not :meth:`_event`'s, which also
        recomputes them: a log of bare events is mostly these (bench_doctor's ``clean-ga``
        shape)."""
        handler = self.wants.get(kind)
        if handler is None:
            return NOTHING  # (it cannot change anything now)
        return self.untimed(handler, event)

    def untimed(self, handler: Handler, event: Mapping[str, Any]) -> Sequence[Result]:
        """``handler`` (from :attr:`wants`) for a server event of a log without times, on the
        mic-audio clock; what completed."""
        self._clock = "audio"
        try:
            handler(self._facts.audio_ms / 1000.0, event)
        finally:
            self._clock = "wall"  # (a log's next event may have its time)
        return self.take()

    def mic_appended(self, event: Mapping[str, Any]) -> None:
        """An ``input_audio_buffer.append`` of a log without times: its audio moves the
        mic-audio clock (what :meth:`feed` does with one, without its dispatch)."""
        self._facts.count_mic(event.get("audio"))

    def _expiring(self, handler: Handler, now: float, event: Mapping[str, Any]) -> None:
        """``handler`` (in :attr:`wants`) while a done turn waits for its playback: first
        end the wait if it is over."""
        self._expire(now)
        handler(now, event)

    def _event(self, t: float | None, direction: str, kind: str, event: Mapping[str, Any]
               ) -> Sequence[Result]:
        """A client event, a local fact, or a server event without a wall time."""
        if t is not None and isfinite(t):
            now = t
        else:
            self._clock = "audio"
            now = self._facts.audio_ms / 1000.0
        try:
            if self._waiting:
                self._expire(now)
            if direction == "local":
                self._ours = True
                self._local(now, kind, event)
            elif direction == "out":
                self._client(now, kind, event)
            else:
                self._on_server[kind](now, event)
        finally:
            self._clock = "wall"  # (a log's next event may have its time)
        self._rewant()  # (the client's events and the local facts are few: no need to pick)
        return self.take()

    def finish(self) -> list[Result]:
        """The end of the stream: an answered turn still waiting is reported as it is."""
        for turn in self._open_turns():
            if turn.first_audio is not None:
                self._report_into(turn)
        self._turn = None
        self._owed.clear()
        self._rewant()
        self._barge.flush(self.completed)
        out, self.completed = self.completed, []
        return out
