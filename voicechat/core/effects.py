"""The session's output buffer: actions in the order they were decided, notices kept for the view.

Every part of the core that decides to send an event or tell the user something does it here, so
the order of actions is simply the order of decisions within one call, and
:meth:`voicechat.core.session.Session` hands the batch back with :meth:`Effects.take` (the pattern
of h11's and aioquic's pending-output lists). Events go through the :class:`Outbox`, which renders
them for the endpoint's dialect and refuses invalid config events with a Notice instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voicechat.core.actions import Action, LocalRecord, Notice, NoticeLevel, Send
from voicechat.core.history import History
from voicechat.core.outbox import Outbox

MAX_NOTICES = 200


class Effects:
    """Pending actions of the current call, and the bounded history of notices."""

    def __init__(self, outbox: Outbox, notice_limit: int = MAX_NOTICES) -> None:
        self._outbox = outbox
        self._actions: list[Action] = []
        self._notices: History[Notice] = History(notice_limit)
        self._said: set[str] = set()
        #: Told of every event sent (canonical, as decided) and every local record queued:
        #: the session's turn timing reads them (``core/turn_timing.py``).
        self.on_send: Callable[[Mapping[str, Any]], None] | None = None
        self.on_record: Callable[[Mapping[str, Any]], None] | None = None

    @property
    def notices(self) -> tuple[Notice, ...]:
        return self._notices.frozen()

    def send(self, event: dict[str, Any]) -> Send | None:
        """Render and queue ``event``; the :class:`Send`, or ``None`` when it was refused."""
        sent: Send | None = None
        for action in self._outbox.render(event):
            if isinstance(action, Notice):
                self._notices.append(action)
            elif isinstance(action, Send) and sent is None:
                sent = action
            self._actions.append(action)
        if sent is not None and self.on_send is not None:
            self.on_send(event)
        return sent

    def notice(self, level: NoticeLevel, message: str) -> None:
        notice = Notice(level, message)
        self._actions.append(notice)
        self._notices.append(notice)

    def malformed(self, event_type: str, problem: str) -> None:
        """A server event with a field of the wrong shape: skipped, and said so by name."""
        self.notice("warning", f"skipped a malformed {event_type[:80]}: {problem}")

    def notice_once(self, level: NoticeLevel, message: str) -> None:
        """A notice the user needs to see only the first time (bounded by the messages' variety)."""
        if message not in self._said:
            self._said.add(message)
            self.notice(level, message)

    def act(self, action: Action) -> None:
        """Queue a local action (flush playback, mute or unmute the mic)."""
        self._actions.append(action)
        if self.on_record is not None and type(action) is LocalRecord:
            self.on_record(action.event)

    def record(self, event: dict[str, Any]) -> None:
        """Queue a ``local.*`` record the turn timing made of its own results: unlike
        :meth:`act`, not handed back to it through :attr:`on_record` (once per answered turn)."""
        self._actions.append(LocalRecord(event))

    def take(self) -> list[Action]:
        """The actions decided since the last call, oldest first."""
        actions, self._actions = self._actions, []
        return actions
