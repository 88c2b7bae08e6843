"""The GPT-Live session: server events and local inputs in, actions out.

*Sans-IO*, like the Realtime core (:mod:`voicechat.core.session`): no clock, no socket; every
call takes ``now`` (monotonic seconds) and returns actions; deadlines are asked for with
:meth:`LiveSession.next_deadline` and reported with :meth:`LiveSession.handle_timer`.

*Lifecycle.* Over WebSocket :meth:`LiveSession.start` sends ``session.start`` (it must be the
first event); over WebRTC the HTTP create already started the session and nothing is sent.
``session.started`` makes the session active: the mic starts streaming and commands the user
gave meanwhile go out (sending anything earlier is refused; LiveKit queues commands the same
way). An ``error`` before ``session.started`` is a failed start. ``session.close`` asks for the
end and ``session.closed`` confirms it with the final usage; a transport that closes without it
leaves that usage unconfirmed, and a ``close_requested`` we never asked for is not a success.

*Full duplex.* The mic streams for the whole session, silence included, and is never muted for
playback (muting would kill barge-in); the user's mute streams silence and tells the server.
The model alone decides when to speak and when to yield: when it stops because the user talked
over it, nothing on the wire says so. :mod:`~voicechat.core.live.yielding` reads it from the
output stream's speech/silence edges and the transcripts' session timeline, and the core then
flushes our playback at once so the user stops hearing what the model already abandoned. Over
WebRTC the runtime reports the decoded frames of the remote track as they reach our player
(:class:`OutputArrived`, silence by the player's energy gate), so the same rules apply there.

*Parts.* :mod:`~voicechat.core.live.turns` (transcript turns),
:mod:`~voicechat.core.live.playback` (received/played audio),
:mod:`~voicechat.core.live.yielding` (when the model stopped for the user),
:mod:`~voicechat.core.live.appends`, :mod:`~voicechat.core.live.delegations` and
:mod:`~voicechat.core.live.backend_calls`.

*Robustness.* Malformed, unknown and out-of-order events become Notices; nothing from the wire
raises. ``strict=True`` (tests) re-raises handler bugs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.core.actions import FlushPlayback, Notice
from voicechat.core.inputs import ToolFinished, TransportState
from voicechat.core.live.actions import LiveAction, MicStream
from voicechat.core.live.appends import Appends
from voicechat.core.live.backend_calls import BackendCalls
from voicechat.core.live.delegations import Delegations
from voicechat.core.live.effects import LiveEffects
from voicechat.core.live.inputs import (
    TYPED_PREFIX,
    Append,
    CloseSession,
    DelegationFinished,
    DelegationProgress,
    LiveInput,
    OutputArrived,
    PlaybackFlushed,
    PlaybackProgress,
    StopAssistant,
    ToggleMute,
    TypedLine,
)
from voicechat.core.live.playback import OutputAudio
from voicechat.core.live.policy import LivePolicy, session_config, start_event
from voicechat.core.live.session_events import EventReader
from voicechat.core.live.turns import Turns
from voicechat.core.live.view import LifeState, LiveView
from voicechat.core.live.view_builder import build_view
from voicechat.core.live.yielding import YieldWatch
from voicechat.protocol.live.wire import b64_length, bytes_per_ms, is_silent

MAX_WAITING = 32
_ENDED = frozenset({"closed", "failed"})

Event = Mapping[str, Any]


class LiveSession:
    """One GPT-Live conversation's state; see the module docstring."""

    def __init__(self, policy: LivePolicy, *, strict: bool = False) -> None:
        self.policy = policy
        self._strict = strict
        self._out = LiveEffects()
        self.state: LifeState = "idle"
        self.session_id: str | None = None
        self.expires_at: int | None = None
        self.close_reason: str | None = None
        self._close_asked = False
        self.muted = False
        self.usage_seconds: float | None = None
        self.context_ratio: float | None = None
        self._start_id: str | None = None
        self._waiting: list[LiveInput] = []
        self.turns = Turns(policy.turn_gap_ms, policy.turn_separation_ms)
        self.audio = OutputAudio(websocket=not policy.webrtc)
        self.appends = Appends(self._out)
        self.tasks = Delegations(self._out, self.appends, policy.delegation_timeout_ms / 1000.0,
                                 policy.fallback_answer)
        self.backend = BackendCalls(self._out, self.tasks, policy.tool_timeout_ms / 1000.0)
        self._yields = YieldWatch(policy.turn_separation_ms)
        self._bytes_per_ms = bytes_per_ms(policy.audio_format)
        self._reader = EventReader(self)

    # --- the caller's entry points ---------------------------------------------------------------

    def session_config(self) -> dict[str, Any]:
        """The ``session`` body of the WebRTC create (``POST /v1/live/sessions``)."""
        return session_config(self.policy)

    def start(self, now: float) -> list[LiveAction]:
        if self.state != "idle":
            self._out.notice("warning", "the session was already started")
            return self._out.take()
        self.state = "starting"
        self._out.act(MicStream("hold", "waiting for session.started"))
        if not self.policy.webrtc:
            self._start_id = self._out.new_id()
            if self._out.send(start_event(self.policy, self._start_id)) is None:
                self.failed_start("the session config was refused before sending")
        return self._out.take()

    def receive(self, event: Event, now: float) -> list[LiveAction]:
        self._guard(lambda: self._reader.read(event, now), str(event.get("type"))[:80])
        return self._out.take()

    def receive_wire(self, data: str | bytes, now: float) -> list[LiveAction]:
        try:
            event = json.loads(data)
        except ValueError as exc:
            self._out.notice("warning", f"a server frame that is not JSON: {exc}")
            return self._out.take()
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            self._out.notice("warning", "a server frame that is not an event (no type)")
            return self._out.take()
        return self.receive(event, now)

    def handle(self, inp: LiveInput, now: float) -> list[LiveAction]:
        self._guard(lambda: self._input(inp, now), type(inp).__name__)
        return self._out.take()

    def next_deadline(self) -> float | None:
        times = [t for t in (self.turns.deadline(), self.tasks.deadline(),
                             self.backend.deadline(), self._yields.deadline()) if t is not None]
        return min(times) if times else None

    def handle_timer(self, now: float) -> list[LiveAction]:
        def fire() -> None:
            if self._yields.expire(now):  # before the turns: the answer may close now too
                self._interrupt("the assistant stopped for the user")
            self.turns.expire(now)
            self.tasks.expire(now)
            self.backend.expire(now)
        self._guard(fire, "timer")
        return self._out.take()

    def view(self) -> LiveView:
        facts = {"session_id": self.session_id, "expires_at": self.expires_at,
                 "close_reason": self.close_reason, "muted": self.muted,
                 "usage_seconds": self.usage_seconds, "context_ratio": self.context_ratio}
        return build_view(self.state, facts, self.turns, self.audio, self.tasks, self.notices)

    @property
    def notices(self) -> tuple[Notice, ...]:
        return self._out.notices

    @property
    def effects(self) -> LiveEffects:
        return self._out

    def _guard(self, call: Callable[[], None], what: str) -> None:
        try:
            call()
        except Exception as exc:  # nothing from the wire may raise out of the core
            if self._strict:
                raise
            self._out.notice("error", f"internal error while handling {what}: {exc!r}")

    # --- lifecycle (called by the event reader) ---------------------------------------------------

    def started(self, session: Mapping[str, Any], now: float) -> None:
        if self.state == "active":
            self._out.notice("warning", "a second session.started was ignored")
            return
        if self.state in _ENDED:
            self._out.notice("warning", f"session.started after the session {self.state}")
            return
        self.state = "active"
        self._out.open = True
        sid, expires = session.get("id"), session.get("expires_at")
        self.session_id = sid if isinstance(sid, str) else None
        self.expires_at = expires if isinstance(expires, int) and not isinstance(
            expires, bool) else None
        self._out.act(MicStream("silence" if self.muted else "live", "session started"))
        if self.muted:
            self._out.send({"type": "session.input_audio.mute"})
        waiting, self._waiting = self._waiting, []
        for inp in waiting:
            self._command(inp, now)

    def closed(self, reason: Any, usage: Any) -> None:
        if self.state in _ENDED:
            return
        self.close_reason = reason if isinstance(reason, str) else None
        seconds = usage.get("seconds") if isinstance(usage, Mapping) else None
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            self.usage_seconds = float(seconds)
        if reason == "close_requested" and not self._close_asked:
            self._out.notice("warning", "the session closed as close_requested, which this "
                                        "client never asked for")
        elif reason not in ("close_requested", None):
            self._out.notice("warning", f"the session ended: {str(reason)[:40]}")
        self._end("closed")

    def failed_start(self, message: str) -> None:
        self._out.notice("error", f"the session did not start: {message}")
        self._end("failed")

    def _end(self, state: LifeState) -> None:
        self.state = state
        self._out.open = False
        self.turns.close_all()
        self.appends.lost()
        self.tasks.abandon()
        self._waiting.clear()
        self._out.act(MicStream("hold", f"session {state}"))

    # --- transcript and audio (called by the event reader) ----------------------------------------

    def fragment(self, speaker: str, text: str, start_ms: int, end_ms: int, now: float) -> None:
        if speaker == "user":
            self.turns.add("user", text, start_ms, end_ms, now)
            if self._yields.user_words(start_ms, end_ms, now):
                self._interrupt("the assistant stopped for the user")
        else:
            self.turns.add("assistant", text, start_ms, end_ms, now)
            self._yields.assistant_words(start_ms, end_ms)

    def output_audio(self, delta: str, now: float) -> None:
        silent = is_silent(delta, self.policy.audio_format)
        if silent is None:
            self._out.notice_once("warning", "an output audio delta that is not base64")
            return
        self._output_chunk(b64_length(delta) / self._bytes_per_ms, silent, now)

    def _output_chunk(self, ms: float, silent: bool, now: float) -> None:
        """A stretch of the output stream, from a delta (WebSocket) or the remote track
        (WebRTC): counted, and its speech/silence edges read for an interruption."""
        ended = self.audio.received(ms, silent)
        if self._yields.chunk(ended, silent, ms, now, self.audio.queued_ms or 0.0):
            self._interrupt("the assistant stopped for the user")

    def _interrupt(self, why: str) -> None:
        self._out.act(FlushPlayback())
        self.turns.interrupt()
        self._out.notice("info", f"{why}: local playback flushed")

    # --- inputs -----------------------------------------------------------------------------------

    def _input(self, inp: LiveInput, now: float) -> None:
        if isinstance(inp, PlaybackProgress):
            self.audio.progress(inp.played_ms, inp.audible)
            if self.audio.clamped:
                self._out.notice_once("warning", "playback reported more audio than was "
                                                 "received; counted up to what arrived")
        elif isinstance(inp, PlaybackFlushed):
            self.audio.flushed(inp.dropped_ms)
        elif isinstance(inp, OutputArrived):
            if not self.policy.webrtc:
                return  # WebSocket: the deltas were counted already
            if self.state in _ENDED:  # still counted: the player plays out what it holds
                self.audio.received(inp.ms, inp.silent)
            else:
                self._output_chunk(inp.ms, inp.silent, now)
        elif isinstance(inp, TransportState):
            if inp.state in ("closed", "failed") and self.state not in _ENDED:
                self._out.notice("warning", "the connection ended without session.closed: "
                                            "the final usage is unconfirmed")
                self._end("closed" if inp.state == "closed" else "failed")
        elif isinstance(inp, StopAssistant):
            self._interrupt("stopped by the user")
            self._command(Append("instructions", self.policy.stop_instruction), now)
        else:
            self._command(inp, now)

    def _command(self, inp: LiveInput, now: float) -> None:
        """A command that needs a running session: sent, queued until it starts, or refused."""
        if self.state in _ENDED:
            self._out.notice("warning", f"{type(inp).__name__}: the session has ended")
            return
        if isinstance(inp, ToolFinished):
            if not self.backend.answer(inp.call_id, inp.output):
                self._out.notice("info", f"dropped the result of {inp.call_id[:40]} "
                                         "(not owed: answered, timed out or unknown)")
            return
        if isinstance(inp, ToggleMute):
            self.muted = not self.muted
        if self.state not in ("active", "closing"):
            if isinstance(inp, ToggleMute):
                return  # applied at session.started
            if len(self._waiting) < MAX_WAITING:
                self._waiting.append(inp)
            else:
                self._out.notice("warning", "too many commands before the session started")
            return
        if isinstance(inp, ToggleMute):
            self._out.act(MicStream("silence" if self.muted else "live", "user"))
            kind = "mute" if self.muted else "unmute"
            self._out.send({"type": f"session.input_audio.{kind}"})
        elif isinstance(inp, Append):
            self.appends.send(inp.kind, inp.text, inp.delegation_id)
        elif isinstance(inp, TypedLine):
            if self.appends.send("instructions", TYPED_PREFIX + inp.text.strip(), None):
                self.turns.typed(inp.text.strip(), self.turns.latest_ms(), now)
        elif isinstance(inp, DelegationProgress):
            self.tasks.progress(inp.delegation_id, inp.text)
        elif isinstance(inp, DelegationFinished):
            self.tasks.finished(inp.delegation_id, inp.text, inp.ok)
        elif isinstance(inp, CloseSession) and not self._close_asked:
            self._close_asked = True
            self.state = "closing"
            self._out.send({"type": "session.close"})
