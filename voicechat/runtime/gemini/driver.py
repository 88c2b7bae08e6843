"""The Gemini driver: where the sans-IO :class:`~voicechat.core.gemini.GeminiSession` meets
the event loop (the ``transmit()`` pattern of the other two drivers; what it shares with
GPT-Live's driver is :class:`~voicechat.runtime.duplex.driver.DuplexDriver`).

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

from voicechat.core.gemini import (
    CloseConnection,
    GeminiInput,
    GeminiPolicy,
    GeminiSession,
    GeminiView,
    Reconnect,
    TurnEnded,
)
from voicechat.protocol.gemini.events import Malformed, ModelAudio, decode_server_frame
from voicechat.protocol.gemini.records import redacted
from voicechat.runtime.duplex.driver import DuplexDriver, DuplexEffects
from voicechat.runtime.fanout import EventFanout

TURN_RECORD = "local.gemini.turn"


@dataclass(frozen=True)
class GeminiEffects:
    """Where the session's actions land: the shared ones, the model's audio, the connection's
    replacement and end, and the conversation's end."""

    shared: DuplexEffects
    play: Callable[[ModelAudio], None]
    reconnect: Callable[[Reconnect], None]
    close: Callable[[CloseConnection], None]
    ended: Callable[[GeminiView], None]  # the conversation failed or closed


class GeminiDriver(DuplexDriver[GeminiInput, GeminiView]):
    """Owns the :class:`GeminiSession`, its timer, and carrying out what it asks for."""

    session: GeminiSession

    def __init__(self, policy: GeminiPolicy, events: EventFanout, effects: GeminiEffects, *,
                 clock: Callable[[], float]) -> None:
        super().__init__(events, effects.shared, clock=clock)
        self._own = effects
        self.session = GeminiSession(policy)
        self._ended = False

    def reset_policy(self, policy: GeminiPolicy) -> None:
        """The tools are known once their sources started, before the first connection."""
        if self.session.link.state not in ("idle", "connecting"):
            raise RuntimeError("the Gemini setup is fixed once it was sent")
        self.session.policy = policy

    # --- feeding ----------------------------------------------------------------------------

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
                self._own.play(event)
        self._apply(self.session.receive(events, self._clock()))

    # --- draining (DuplexDriver's hooks) ----------------------------------------------------

    def _carry_out(self, action: object) -> None:
        if isinstance(action, TurnEnded):
            self._publish(action)
        elif isinstance(action, Reconnect):
            self._events.local({"type": "local.gemini.reconnect", "reason": action.reason,
                                "resume": action.handle is not None})
            self._own.reconnect(action)
        elif isinstance(action, CloseConnection):
            self._own.close(action)

    def _drained(self) -> None:
        """A failed or closed conversation is said once (the runtime ends a failed one)."""
        view = self.session.view()
        if view.state in ("failed", "closed") and not self._ended:
            self._ended = True
            self._own.ended(view)

    def _publish(self, turn: TurnEnded) -> None:
        event: dict[str, Any] = {"type": TURN_RECORD, "speaker": turn.speaker,
                                 "text": turn.text, "turn": turn.number}
        if turn.typed:
            event["typed"] = True
        if turn.interrupted:
            event["interrupted"] = True
        self._events.local(event)
