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
  :data:`PLAYED_WAIT_S` past the ``done`` (a silent speaker never plays).
- Without times (a JSON array of bare events) the clock is the mic audio the client appended
  (:mod:`voicechat.latency.session_facts`, with the VAD's settings), which a WebSocket client
  streams in real time: close while the mic keeps streaming, and labelled ``clock: audio`` so
  nobody reads it as wall time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from math import isfinite
from typing import Any

from voicechat.latency.barge_timing import BargeTiming
from voicechat.latency.model import BargeIn, Clock, EndKind, TurnLatency
from voicechat.latency.report import is_timed, report_turn
from voicechat.latency.session_facts import SessionFacts
from voicechat.latency.turn_state import ToolCall, TurnState

#: How long past the answer's ``response.done`` a log with the client's own records waits for
#: its ``local.playback.started`` before reporting the turn without it.
PLAYED_WAIT_S = 2.0
_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.output_audio_transcript.delta"})
_AUDIO_DELTA = "response.output_audio.delta"
#: The output deltas: most of a session's events, read by a fast path (:meth:`_delta`).
DELTAS = _TEXT_DELTAS | {_AUDIO_DELTA}
_BARGE_ACTIONS = frozenset({"response.cancel", "output_audio_buffer.clear",
                            "conversation.item.truncate"})
#: The server and client events the timeline reads (canonical names): any other changes
#: nothing and is passed over before anything else is done with it.
READS_IN = DELTAS | frozenset({
    "session.created", "session.updated", "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "response.created",
    "response.done", "response.output_item.done",
    "output_audio_buffer.started", "output_audio_buffer.stopped", "output_audio_buffer.cleared"})
READS_OUT = _BARGE_ACTIONS | frozenset({
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
#: What :meth:`TurnTimeline.feed` returns when nothing completed (most events).
NOTHING: tuple[()] = ()

Result = TurnLatency | BargeIn
#: A server event's handler: ``(now, event)``; what it completes goes to ``completed``.
Handler = Callable[[float, Mapping[str, Any]], None]


class TurnTimeline:
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
        self._turn: TurnState | None = None
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
        """What completed since the last :meth:`take` (rarely anything: a turn, a barge-in)."""
        self._barge = BargeTiming()
        self._waiting = False
        """A done turn waits for its playback: time passing may end the wait."""
        self._onset = 0  # 2 while an answer is generated or sounding: see _rewant
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
        #: :attr:`wants` by state, at ``deltas + 2 * onset + 4 * waiting``: while a done turn
        #: waits for its playback every handler first ends the wait if it is over
        self._wants_by: tuple[dict[str, Handler], ...] = tuple(
            {kind: (partial(self._expiring, self._on_server[kind]) if waiting
                    else self._on_server[kind]) for kind in kinds}
            for waiting in (False, True) for kinds in _WANTED)
        self.deltas_matter = False
        """Could an output delta change anything now (a turn's first audio or text, a new
        response's audio, a turn waiting out its playback)? While not, a caller may pass
        deltas over unread: most of a session's events (:mod:`voicechat.latency.records`)."""
        self.wants: Mapping[str, Handler] = self._wants_by[0]
        """The server events that can change anything now, each to its handler: a caller
        that knows an event's type hands it over only when it is in here (the output deltas
        only while :attr:`deltas_matter`; the server's ``speech_started`` only while it would
        be an interruption's onset, an answer being generated or sounding), as
        ``wants[kind](now, event)`` at wall time ``now``, then :meth:`take`."""

    def __repr__(self) -> str:
        # its whole state (not the handler tables): the doctor's tests compare rules' states
        # fed two ways
        state = {name: value for name, value in vars(self).items()
                 if name not in ("_on_server", "_wants_by", "wants")}
        state["wants"] = sorted(self.wants)
        return f"TurnTimeline({state!r})"

    @property
    def waiting_for_playback(self) -> bool:
        """An answered turn is done and waits for its ``local.playback.started`` (time passing
        may end the wait: :data:`PLAYED_WAIT_S`)."""
        turn = self._turn
        return turn is not None and turn.done is not None and turn.first_audio is not None

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

    def take(self) -> Sequence[Result]:
        """What completed since the last call (usually nothing)."""
        out = self.completed
        if not out:
            return NOTHING
        self.completed = []
        return out

    def _expiring(self, handler: Handler, now: float, event: Mapping[str, Any]) -> None:
        """``handler`` (in :attr:`wants`) while a done turn waits for its playback: first
        end the wait if it is over."""
        self._expire(now)
        handler(now, event)

    def _rewant(self) -> None:
        """Bring :attr:`wants`, :attr:`deltas_matter` and the playback wait up to date with
        the state: each handler that changes what they read calls this last, or writes out
        the part that can change (rather than a recompute after every event, which with the
        dispatch around it was a third of the bytecodes the session core ran for the timeline:
        ``bench/bench_core.py``). ``tests/latency/test_timeline.py`` checks after every event
        of any stream that they equal a fresh computation."""
        turn = self._turn
        if turn is None:
            deltas = self._audio_pending
            waiting = False
        else:
            waiting = turn.done is not None
            deltas = (self._audio_pending or turn.first_audio is None
                      or turn.first_text is None or waiting)
        self._waiting = waiting
        self.deltas_matter = deltas
        self._onset = onset = 2 if self._active is not None or self._sounding is not None else 0
        self.wants = self._wants_by[deltas + onset + 4 * waiting]

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

    def pending(self) -> TurnLatency | None:
        """The answered turn still open, as it would be reported now (a face that shows the
        figures before the stream ends: the export of a log cut mid-answer)."""
        turn = self._turn
        if turn is None or not is_timed(turn):
            return None
        return report_turn(turn, self._facts.vad, webrtc=self._webrtc)

    def finish(self) -> list[Result]:
        """The end of the stream: an answered turn still waiting is reported as it is."""
        turn = self._turn
        if turn is not None and turn.first_audio is not None:
            self._report_into(turn)
        self._turn = None
        self._rewant()
        self._barge.flush(self.completed)
        out, self.completed = self.completed, []
        return out

    # --- the server's events ---------------------------------------------------------------

    def _side_output(self, event: Mapping[str, Any]) -> bool:
        """The event is an out-of-band response's output: it answers no turn."""
        rid = event.get("response_id")
        return isinstance(rid, str) and rid in self._side  # (a log may hold anything there)

    def _session(self, now: float, event: Mapping[str, Any]) -> None:
        self._facts.server_session(event.get("session"))

    def _speech_stopped(self, now: float, event: Mapping[str, Any]) -> None:
        self._end(now, "speech_stopped")

    def _speech_started(self, now: float, event: Mapping[str, Any]) -> None:
        self._barge.server_onset(now, self._active or self._sounding)

    def _committed(self, now: float, event: Mapping[str, Any]) -> None:
        turn = self._turn
        if turn is not None and turn.committed is None and turn.created is None:
            turn.committed = now

    def _created(self, now: float, event: Mapping[str, Any]) -> None:
        response = event.get("response")
        if not isinstance(response, dict):  # (events are JSON objects: dict, not the ABC)
            return
        rid = response.get("id")
        rid = rid if isinstance(rid, str) else None
        if "conversation_id" in response and response["conversation_id"] is None:
            if rid:
                self._side.add(rid)
            return
        self._active = rid
        self._audio_pending = True
        # (_rewant written out: a new response's audio is to come, and it may be interrupted)
        self._onset = onset = 2 if rid is not None or self._sounding is not None else 0
        self.deltas_matter = True
        self.wants = self._wants_by[1 + onset + 4 * self._waiting]
        turn = self._turn
        if turn is None or turn.done is not None:
            return
        if turn.created is None:
            turn.created = now
        if rid:
            turn.responses.add(rid)

    def _audio(self, now: float, event: Mapping[str, Any]) -> None:
        """The answer's audio: a WebSocket delta, or WebRTC's output_audio_buffer.started."""
        if self._side and self._side_output(event):
            return
        if event.get("type") == "output_audio_buffer.started":
            self._webrtc = True
        rid = event.get("response_id")
        self._sounding = rid if isinstance(rid, str) else self._active
        self._audio_pending = False
        turn = self._turn
        if turn is not None and turn.first_audio is None and (
                (type(rid) is str and rid in turn.responses) or turn.owns(rid)):
            turn.first_audio = now
            turn.queued_locally = self._speaker and turn.played is None
            turn.audio_response = rid if isinstance(rid, str) else self._active
            item_id = event.get("item_id")
            if isinstance(item_id, str) and turn.audio_response is not None:
                turn.items.setdefault(turn.audio_response, item_id)
            self._maybe_report(turn)
        self._rewant()

    def _text(self, now: float, event: Mapping[str, Any]) -> None:
        turn = self._turn
        if turn is not None and turn.first_text is None:
            if self._side and self._side_output(event):
                return
            rid = event.get("response_id")
            if (type(rid) is str and rid in turn.responses) or turn.owns(rid):
                turn.first_text = now
                # (_rewant written out: only the deltas' part can change)
                waiting = self._waiting
                deltas = self._audio_pending or turn.first_audio is None or waiting
                self.deltas_matter = deltas
                self.wants = self._wants_by[deltas + self._onset + 4 * waiting]

    def _item_done(self, now: float, event: Mapping[str, Any]) -> None:
        """A tool call completed, or the answer's message item (its id: where the transcript
        shows the answer). Read here rather than on ``output_item.added``: the done comes
        before the response's ``response.done``, which a turn is reported on, and one event
        handed over per item instead of two is cheaper for the session core."""
        turn = self._turn
        item = event.get("item")
        if turn is None or not isinstance(item, dict) or (self._side and self._side_output(event)):
            return
        rid = event.get("response_id")
        if not ((type(rid) is str and rid in turn.responses) or turn.owns(rid)):
            return
        item_type = item.get("type")
        if item_type == "message":
            item_id = item.get("id")
            if isinstance(rid, str) and isinstance(item_id, str):
                turn.items.setdefault(rid, item_id)
        elif item_type == "function_call":
            call_id, name = item.get("call_id"), item.get("name")
            if isinstance(rid, str):
                turn.calling.add(rid)
            if isinstance(call_id, str) and call_id not in turn.tools:
                turn.tools[call_id] = ToolCall(name if isinstance(name, str) else "?", now)

    def _buffer_stopped(self, now: float, event: Mapping[str, Any]) -> None:
        if self._side and self._side_output(event):
            return
        self._webrtc = True
        self._sounding = None
        turn = self._turn
        if (turn is not None and turn.behind and turn.first_audio is None
                and turn.prior_stop is None):
            turn.prior_stop = now
        if turn is not None and turn.played is None:
            self._maybe_report(turn, played_or_not=True)
        self._rewant()

    def _done(self, now: float, event: Mapping[str, Any]) -> None:
        response = event.get("response")
        if isinstance(response, dict):
            rid, status = response.get("id"), response.get("status")
        else:
            rid = status = None
        if isinstance(rid, str) and rid in self._side:
            self._side.discard(rid)
            return
        if rid == self._active or not isinstance(rid, str):
            self._active = None
        self._barge.response_done(now, status, self.completed)
        turn = self._turn
        if turn is not None and turn.done is None and (
                (type(rid) is str and rid in turn.responses) or turn.owns(rid)):
            self._turn_done(now, turn, rid, response)
        self._rewant()

    def _turn_done(self, now: float, turn: TurnState, rid: Any, response: Any) -> None:
        """The response that ended is ``turn``'s: it is done, unless it only called a tool
        or its audio is another response's."""
        if turn.first_audio is None:
            if _calls_a_tool(response) or (isinstance(rid, str) and rid in turn.calling):
                return  # the answer comes in the response after the tool's output
        elif turn.audio_response is not None and rid != turn.audio_response:
            return
        # (over WebRTC the audio of an answer queued behind another may start after its
        # response.done: the turn is reported once it does)
        turn.done = now
        self._maybe_report(turn)

    # --- the client's events and the local facts -----------------------------------------

    def _client(self, now: float, kind: str, event: Mapping[str, Any]) -> None:
        if kind == "session.update":
            self._facts.client_session(event.get("session"))
        elif kind == "input_audio_buffer.commit":
            turn = self._turn
            same_utterance = (turn is not None and turn.kind == "speech_stopped"
                              and turn.committed is None and turn.created is None)
            if not same_utterance:
                self._end(now, "commit")
        elif kind == "conversation.item.create":
            item = event.get("item")
            if not isinstance(item, Mapping):
                return
            if item.get("type") == "function_call_output":
                self._tool_output(now, item.get("call_id"))
            elif item.get("role") == "user" and _typed(item):
                self._typed_pending = True
        elif kind == "response.create":
            response = event.get("response")
            if isinstance(response, Mapping) and response.get("conversation") == "none":
                return
            if self._typed_pending:
                self._typed_pending = False
                self._end(now, "typed")
        if kind in _BARGE_ACTIONS:
            self._barge.action(now, self._active is not None, self.completed)

    def _local(self, now: float, kind: str, event: Mapping[str, Any]) -> None:
        if kind == "local.playback.started":
            # (over WebRTC the audio may play before output_audio_buffer.started arrives on
            # the data channel: the first playback after the end of the turn is its answer's)
            turn = self._turn
            self._speaker = True
            if turn is not None and turn.played is None and now >= turn.end:
                turn.played = now
                self._maybe_report(turn)
        elif kind == "local.bargein.paused":
            self._barge.local_paused(now, event.get("speech_ms"), self._sounding or self._active)
        elif kind == "local.bargein.resumed":
            self._barge.local_resumed()
        elif kind == "local.playback.drained":
            self._sounding = None
            self._speaker = False
            turn = self._turn
            if turn is not None and turn.played is None:
                self._maybe_report(turn, played_or_not=True)

    # --- parts ---------------------------------------------------------------------------

    def _end(self, now: float, kind: EndKind) -> None:
        """The user's turn ended: a new turn starts (an answered one still open is reported;
        an unanswered one is superseded: its response, if any, answers nobody now)."""
        turn = self._turn
        if turn is not None and turn.first_audio is not None:
            self._report_into(turn)
        clock = self._clock
        # without times and without mic audio there is no clock at all: no figure beats 0 ms
        self._turn = turn = TurnState(now, kind, clock, behind=self._sounding is not None) \
            if clock == "wall" or self._facts.mic_counted else None
        # (_rewant written out: a new turn waits for its first audio and text)
        self._waiting = False
        self.deltas_matter = deltas = turn is not None or self._audio_pending
        self.wants = self._wants_by[deltas + self._onset]

    def _maybe_report(self, turn: TurnState, *, played_or_not: bool = False) -> None:
        """Report ``turn`` once it has its first audio and its ``done``, and its playback
        where the client logs playback (``played_or_not``: none will come for it now)."""
        if turn.first_audio is None or turn.done is None:
            return
        if turn.played is not None or not self._ours or played_or_not or turn.queued_locally:
            self._report_into(turn)
            if self._turn is turn:
                self._turn = None

    def _tool_output(self, now: float, call_id: Any) -> None:
        turn = self._turn
        if turn is not None and isinstance(call_id, str):
            tool = turn.tools.get(call_id)
            if tool is not None and tool.end is None:
                tool.end = now

    def _expire(self, now: float) -> None:
        """A done turn whose playback never showed is reported once the wait is over."""
        turn = self._turn
        if (turn is not None and turn.done is not None and turn.first_audio is not None
                and now - max(turn.done, turn.first_audio) > PLAYED_WAIT_S):
            self._report_into(turn)
            self._turn = None
            self._rewant()

    # --- the report ----------------------------------------------------------------------

    def _report_into(self, turn: TurnState) -> None:
        if is_timed(turn):
            self.completed.append(report_turn(turn, self._facts.vad, webrtc=self._webrtc))


def _calls_a_tool(response: Any) -> bool:
    """A ``response.done``'s response whose output holds a function call."""
    output = response.get("output") if isinstance(response, dict) else None
    return isinstance(output, list) and any(
        isinstance(item, dict) and item.get("type") == "function_call" for item in output)


def _typed(item: Mapping[str, Any]) -> bool:
    """A user message with text in it (a typed turn, not audio or a picture alone)."""
    content = item.get("content")
    if not isinstance(content, list):
        return False
    return any(isinstance(part, Mapping) and part.get("type") in ("input_text", "text")
               for part in content)
