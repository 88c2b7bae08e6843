"""The GPT-Live core's output buffer: actions in decision order, notices kept for the view.

The same pattern as the Realtime core's :mod:`voicechat.core.effects` (h11's pending-output
list), without its dialect outbox: GPT-Live has one dialect. Each event is checked with
:func:`voicechat.protocol.live.validation.validate_client_event` before it goes out (the
schema is strict; a refusal becomes a Notice in the server's words, and nothing is sent).
Every client event gets an
``event_id`` from a counter (the core has no randomness), so an acknowledgement's or an error's
``client_event_id`` names the command it answers.
"""

from __future__ import annotations

from typing import Any

from voicechat.core.actions import Notice, NoticeLevel, Send
from voicechat.core.history import History
from voicechat.core.live.actions import LiveAction
from voicechat.protocol.live.validation import validate_client_event

MAX_NOTICES = 200


class LiveEffects:
    def __init__(self, id_prefix: str = "evt_vc") -> None:
        self._actions: list[LiveAction] = []
        self._notices: History[Notice] = History(MAX_NOTICES)
        self._said: set[str] = set()
        self._prefix = id_prefix
        self._next_id = 0
        #: whether the session runs: before ``session.started`` only ``session.start`` may go
        #: out (anything else is refused by the server), and nothing after the end
        self.open = False

    @property
    def notices(self) -> tuple[Notice, ...]:
        return self._notices.frozen()

    def new_id(self) -> str:
        self._next_id += 1
        return f"{self._prefix}_{self._next_id}"

    def send(self, event: dict[str, Any]) -> str | None:
        """Queue ``event`` with an ``event_id`` (its own, or a new one); that id, or ``None``
        when the event is invalid (then a Notice says why and nothing is sent)."""
        event_id = event.get("event_id")
        if not isinstance(event_id, str):
            event_id = self.new_id()
            event = {"type": event["type"], "event_id": event_id,
                     **{k: v for k, v in event.items() if k != "type"}}
        if not self.open and event["type"] != "session.start":
            self.notice("warning", f"{event['type']} not sent: the session is not running")
            return None
        problem = validate_client_event(event)
        if problem is not None:
            where = f"; param {problem.param}" if problem.param else ""
            self.notice("error", f"{problem.message} ({problem.code}{where}; "
                                 f"{event['type']} not sent)")
            return None
        self._actions.append(Send(event))
        return event_id

    def notice(self, level: NoticeLevel, message: str) -> None:
        notice = Notice(level, message)
        self._actions.append(notice)
        self._notices.append(notice)

    def notice_once(self, level: NoticeLevel, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.notice(level, message)

    def malformed(self, event_type: str, problem: str) -> None:
        self.notice("warning", f"skipped a malformed {event_type[:80]}: {problem}")

    def act(self, action: LiveAction) -> None:
        self._actions.append(action)

    def take(self) -> list[LiveAction]:
        actions, self._actions = self._actions, []
        return actions
