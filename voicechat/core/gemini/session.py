"""The Gemini Live session core, sans-IO in the style of h11: decoded server events and user
inputs in, actions out, time passed in (``now``, monotonic seconds); timers are deadlines the
caller asks for with :meth:`GeminiSession.next_deadline` and reports with
:meth:`GeminiSession.handle_timer`.

What it keeps, and where:

* the connection's life and resumption — :mod:`~voicechat.core.gemini.connection`;
* the turns built from transcripts — :mod:`~voicechat.core.gemini.turns`;
* the model's function calls, each answered exactly once — :mod:`~voicechat.core.gemini.tool_calls`.

Messages the session must not lose (typed turns, tool responses) wait while no connection is
ready and go out, in order, after the next ``setupComplete``; mic audio is real time and is
dropped instead. ``interrupted`` flushes our playback (the server stopped already).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voicechat.core.actions import FlushPlayback, Notice, Send
from voicechat.core.gemini.actions import CloseConnection, GeminiAction, Reconnect, TurnEnded
from voicechat.core.gemini.connection import ConnectionLife, LinkState
from voicechat.core.gemini.inputs import (
    Connected,
    ConnectFailed,
    ConnectionClosed,
    GeminiInput,
    Hangup,
    MicAudio,
    ToolFinished,
    TypedImage,
    TypedText,
)
from voicechat.core.gemini.policy import USER_PAUSE_S, GeminiPolicy
from voicechat.core.gemini.tool_calls import Answer, ToolCalls
from voicechat.core.gemini.turns import TurnBuilder
from voicechat.protocol.gemini import client_messages
from voicechat.protocol.gemini.events import (
    GoAway,
    InputTranscript,
    Interrupted,
    Malformed,
    ModelAudio,
    ModelText,
    OutputTranscript,
    ResumptionUpdate,
    ServerEvent,
    SetupComplete,
    ToolCall,
    ToolCallCancellation,
    TurnComplete,
    Usage,
)


@dataclass(frozen=True)
class GeminiView:
    """A read-only snapshot for the line face, the TUI and tests."""

    state: LinkState
    lines: tuple[TurnEnded, ...]
    #: the open turn's words so far, not said as lines yet: ``(speaker, text)``
    partial: tuple[tuple[str, str], ...]
    pending_tools: tuple[str, ...]
    answered_tools: tuple[str, ...]
    cancelled_tools: tuple[str, ...]
    turn_open: bool
    turns_completed: int
    connections: int
    reconnects: int
    resumable: bool
    total_tokens: int
    close_reason: str | None


class GeminiSession:
    """One conversation with Gemini Live, across as many connections as it takes."""

    def __init__(self, policy: GeminiPolicy) -> None:
        self.policy = policy
        self.link = ConnectionLife()
        self.turns = TurnBuilder()
        self.tools = ToolCalls(policy.tool_timeout_s)
        self._queued: list[dict[str, Any]] = []
        self._interrupted_turn = False  # interrupted arrived, turnComplete not yet
        self._turns_completed = 0
        self._tokens = 0
        self._spoke_at = float("-inf")
        self._awaiting_answer = False  # a typed turn went in and its turn has not completed
        self._now = 0.0  # the latest time the caller passed in

    # --- the caller's entry points ----------------------------------------------------------

    def start(self, now: float) -> list[GeminiAction]:
        """The conversation begins: the caller connects and reports :class:`Connected`."""
        self.link.state = "connecting"
        return []

    def receive(self, events: Iterable[ServerEvent], now: float) -> list[GeminiAction]:
        """The events of one server frame, as
        :func:`~voicechat.protocol.gemini.events.decode_server_frame` read them."""
        self._now = now
        out: list[GeminiAction] = []
        for event in events:
            out += self._event(event, now)
        return self._say_fresh(out)

    def handle(self, inp: GeminiInput, now: float) -> list[GeminiAction]:
        self._now = now
        return self._say_fresh(self._handle(inp, now))

    def _handle(self, inp: GeminiInput, now: float) -> list[GeminiAction]:
        if isinstance(inp, Connected):
            handle = self.link.connected()
            return [Send(self._setup(handle))]
        if isinstance(inp, ConnectionClosed):
            return self._closed(inp, now)
        if isinstance(inp, ConnectFailed):
            reconnect, notices = self.link.connect_failed(inp.reason, now)
            return [*notices, *([reconnect] if reconnect else [])]
        if isinstance(inp, MicAudio):
            return self._mic(inp, now)
        if isinstance(inp, TypedText):
            if self.link.ended or not inp.text.strip():
                return []
            self._awaiting_answer = True
            return [*self.turns.typed(inp.text), *self._send(client_messages.user_turn(inp.text))]
        if isinstance(inp, TypedImage):
            if self.link.ended:
                return []
            self._awaiting_answer = True
            shown = f"[picture] {inp.caption}".rstrip()
            return [*self.turns.typed(shown), *self._send(
                client_messages.user_turn_with_image(inp.mime_type, inp.data, inp.caption))]
        if isinstance(inp, ToolFinished):
            answer = self.tools.finished(inp)
            return self._answers([answer] if answer else [])
        if isinstance(inp, Hangup):
            return [CloseConnection("the user ended the conversation")] if self.link.hangup() \
                else []
        return []

    def handle_timer(self, now: float) -> list[GeminiAction]:
        self._now = now
        out: list[GeminiAction] = []
        expired = self.tools.expired(now)
        for cancel, _answer in expired:
            out.append(cancel)
        out += self._answers([answer for _cancel, answer in expired])
        reconnect = self.link.timer(now)
        if reconnect is not None:
            out.append(reconnect)
        return self._say_fresh(out)

    def next_deadline(self) -> float | None:
        times = [t for t in (self.tools.next_deadline(), self.link.deadline()) if t is not None]
        return min(times, default=None)

    def view(self) -> GeminiView:
        return GeminiView(
            state=self.link.state, lines=tuple(self.turns.ended), partial=self.turns.partial(),
            pending_tools=tuple(self.tools.pending), answered_tools=tuple(self.tools.answered),
            cancelled_tools=tuple(self.tools.cancelled), turn_open=self._busy(self._now),
            turns_completed=self._turns_completed, connections=self.link.connections,
            reconnects=self.link.reconnects, resumable=self.link.handle is not None,
            total_tokens=self._tokens, close_reason=self.link.close_reason)

    # --- server events ----------------------------------------------------------------------

    def _event(self, event: ServerEvent, now: float) -> list[GeminiAction]:
        if isinstance(event, SetupComplete):
            if not self.link.setup_complete():
                return []
            queued, self._queued = self._queued, []
            if self.link.connections == 1 and self.policy.history:
                # the first session only: a resumed one has it already (decided: seeding is
                # the conversation's start, not each connection's)
                queued.insert(0, client_messages.history(self.policy.history))
            return [Send(message) for message in queued]
        if isinstance(event, InputTranscript):
            return list(self.turns.user_fragment(event.text))
        if isinstance(event, OutputTranscript):
            return list(self.turns.model_fragment(event.text))
        if isinstance(event, ModelAudio | ModelText):
            return list(self.turns.model_started())
        if isinstance(event, Interrupted):
            self._interrupted_turn = True
            return [FlushPlayback(), *self.turns.interrupted()]
        if isinstance(event, TurnComplete):
            return self._turn_complete()
        if isinstance(event, ToolCall):
            return self._tool_call(event, now)
        if isinstance(event, ToolCallCancellation):
            return list(self.tools.withdrawn(event.ids))
        if isinstance(event, GoAway):
            reconnect = self.link.go_away(event.time_left_s, now, busy=self._busy(now))
            return [reconnect] if reconnect else []
        if isinstance(event, ResumptionUpdate):
            self.link.new_handle(event.new_handle, event.resumable)
            return []
        if isinstance(event, Usage):
            self._tokens += event.total_tokens or 0
            return []
        if isinstance(event, Malformed):
            return [Notice("warning", f"skipped part of a Gemini Live frame: {event.why}")]
        return []  # VoiceActivity, GenerationComplete, Unknown: nothing to do

    def _turn_complete(self) -> list[GeminiAction]:
        out: list[GeminiAction] = list(self.turns.complete())
        self._interrupted_turn = False
        self._awaiting_answer = False
        self._turns_completed += 1
        return out + self._if_quiet(self._now)

    def _tool_call(self, event: ToolCall, now: float) -> list[GeminiAction]:
        out: list[GeminiAction] = list(self.turns.model_started())
        answers: list[Answer] = []
        for call in event.calls:
            run, answer = self.tools.called(call, now, interrupted=self._interrupted_turn)
            if run is not None:
                out.append(run)
            if answer is not None:
                answers.append(answer)
        return out + self._answers(answers)

    def _closed(self, inp: ConnectionClosed, now: float) -> list[GeminiAction]:
        was_ready = self.link.ready
        reconnect, notices = self.link.closed(inp.code, inp.reason, now)
        out: list[GeminiAction] = []
        if was_ready and self.turns.open:
            out += self.turns.complete()  # said as far as it got: nothing of it is lost
        out += notices
        if reconnect is not None:
            out.append(reconnect)
        return out

    # --- parts ------------------------------------------------------------------------------

    def _say_fresh(self, out: list[GeminiAction]) -> list[GeminiAction]:
        """A reconnect with no handle after a session was set up starts a fresh session: the
        model forgets the conversation, and the user is told (once per such reconnect)."""
        if self.link.connections and any(isinstance(a, Reconnect) and a.handle is None
                                          and not self.link.fresh_said for a in out):
            self.link.fresh_said = True
            out.insert(0, Notice("warning", "reconnecting without a resumption handle (the "
                                 "service sent none yet): the new session starts fresh and "
                                 "the model no longer knows the conversation so far"))
        return out

    def _mic(self, inp: MicAudio, now: float) -> list[GeminiAction]:
        if inp.speech:
            self._spoke_at = now
        if not self.link.ready:
            return []
        return [Send(client_messages.audio(inp.data)), *self._if_quiet(now)]

    def _if_quiet(self, now: float) -> list[GeminiAction]:
        """A goAway that waited for a quiet moment reconnects now, if this is one."""
        if self._busy(now):
            return []
        reconnect = self.link.quiet()
        return [reconnect] if reconnect is not None else []

    def _busy(self, now: float) -> bool:
        """A turn is under way: the model is answering (or owes an answer to a typed turn), a
        tool call waits, or the user spoke within :data:`~.policy.USER_PAUSE_S`."""
        return (self.turns.answering or self._awaiting_answer or bool(self.tools.pending)
                or now - self._spoke_at < USER_PAUSE_S)

    def _setup(self, handle: str | None) -> dict[str, Any]:
        p = self.policy
        return client_messages.setup(p.model, voice=p.voice, instructions=p.instructions,
                                     tools=p.tools, resume_handle=handle, resumable=True,
                                     compression=p.compression)

    def _answers(self, answers: list[Answer]) -> list[GeminiAction]:
        if not answers:
            return []
        return self._send(client_messages.tool_response(
            [(a.call_id, a.name, a.response) for a in answers]))

    def _send(self, message: dict[str, Any]) -> list[GeminiAction]:
        if self.link.ready:
            return [Send(message)]
        if not self.link.ended:
            self._queued.append(message)
        return []
