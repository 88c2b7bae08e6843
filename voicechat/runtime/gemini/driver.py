"""The Gemini driver: where the sans-IO :class:`~voicechat.core.gemini.GeminiSession` meets
the event loop (the ``transmit()`` pattern of the other two drivers).

Every server frame is recorded as it came (audio blobs redacted), decoded once, its audio
handed to the speaker, and its events fed to the core with the current time; the actions are
carried out at once: ``Send`` to the link, ``FlushPlayback`` to the speaker, tools to the
approval and runner, ``Reconnect``/``CloseConnection`` to the link, notices to the event
stream, and each :class:`~voicechat.core.gemini.TurnEnded` published as a
``local.gemini.turn`` record (what ``--no-ui`` prints and tests read).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicechat.audio.playback import RATE
from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send
from voicechat.core.gemini import (
    CloseConnection,
    GeminiAction,
    GeminiInput,
    GeminiPolicy,
    GeminiSession,
    GeminiView,
    Reconnect,
    TurnEnded,
)
from voicechat.protocol.gemini.events import Malformed, ModelAudio, decode_server_frame
from voicechat.protocol.gemini.records import redacted
from voicechat.runtime.deadline_timer import DeadlineTimer
from voicechat.runtime.fanout import EventFanout

TURN_RECORD = "local.gemini.turn"


@dataclass(frozen=True)
class GeminiEffects:
    """Where the session's actions land."""

    send: Callable[[dict[str, Any]], None]
    play: Callable[[ModelAudio], None]
    flush_playback: Callable[[], int]  # the samples dropped
    run_tool: Callable[[RunTool], None]
    cancel_tool: Callable[[CancelTool], None]
    reconnect: Callable[[Reconnect], None]
    close: Callable[[CloseConnection], None]
    ended: Callable[[GeminiView], None]  # the conversation failed or closed


class GeminiDriver:
    """Owns the :class:`GeminiSession`, its timer, and carrying out what it asks for."""

    def __init__(self, policy: GeminiPolicy, events: EventFanout, effects: GeminiEffects, *,
                 clock: Callable[[], float]) -> None:
        self.session = GeminiSession(policy)
        self._events = events
        self._effects = effects
        self._clock = clock
        self._timer = DeadlineTimer(clock, self._on_timer)
        self._ended = False

    @property
    def view(self) -> GeminiView:
        return self.session.view()

    def reset_policy(self, policy: GeminiPolicy) -> None:
        """The tools are known once their sources started, before the first connection."""
        if self.session.link.state not in ("idle", "connecting"):
            raise RuntimeError("the Gemini setup is fixed once it was sent")
        self.session.policy = policy

    # --- feeding ----------------------------------------------------------------------------

    def start(self) -> None:
        self._apply(self.session.start(self._clock()))

    def receive_text(self, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            self._events.emit("in", {"type": "local.unparsed", "text": text[:200]})
            self._apply(self.session.receive([Malformed("a frame that is not a JSON object")],
                                              self._clock()))
            return
        self._events.emit("in", redacted(frame))
        events = decode_server_frame(frame)
        for event in events:
            if isinstance(event, ModelAudio):
                self._effects.play(event)
        self._apply(self.session.receive(events, self._clock()))

    def handle(self, inp: GeminiInput) -> None:
        self._apply(self.session.handle(inp, self._clock()))

    def echo_leaking(self, leaking: bool, hold: bool = False) -> None:
        """The echo canceller's verdict: the mic is never gated here (the service's VAD hears
        the user over the model), so it is only logged by the echo control."""

    def close(self) -> None:
        self._timer.close()

    # --- draining ---------------------------------------------------------------------------

    def _apply(self, actions: list[GeminiAction]) -> None:
        effects = self._effects
        for action in actions:
            if isinstance(action, Send):
                effects.send(action.event)
            elif isinstance(action, FlushPlayback):
                dropped = effects.flush_playback()
                self._events.local({"type": "local.playback.flushed",
                                    "dropped_ms": dropped * 1000 // RATE})
            elif isinstance(action, Notice):
                self._events.notice(action.level, action.message)
            elif isinstance(action, RunTool):
                effects.run_tool(action)
            elif isinstance(action, CancelTool):
                effects.cancel_tool(action)
            elif isinstance(action, TurnEnded):
                self._publish(action)
            elif isinstance(action, Reconnect):
                self._events.local({"type": "local.gemini.reconnect", "reason": action.reason,
                                    "resume": action.handle is not None})
                effects.reconnect(action)
            elif isinstance(action, CloseConnection):
                effects.close(action)
        view = self.session.view()
        if view.state in ("failed", "closed") and not self._ended:
            self._ended = True
            effects.ended(view)
        self._timer.arm(self.session.next_deadline())

    def _publish(self, turn: TurnEnded) -> None:
        event: dict[str, Any] = {"type": TURN_RECORD, "speaker": turn.speaker,
                                 "text": turn.text, "turn": turn.number}
        if turn.typed:
            event["typed"] = True
        if turn.interrupted:
            event["interrupted"] = True
        self._events.local(event)

    def _on_timer(self) -> None:
        self._apply(self.session.handle_timer(self._clock()))
