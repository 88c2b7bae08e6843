"""Everything the observer has learnt from its feed, across sessions, with no widgets.

:meth:`ObserverModel.apply` folds one feed item in and says which session changed, so the app
can fold a whole batch and then repaint once. Kept apart from the app so the bookkeeping
(session order, who closed what, drops) is tested without a terminal.
"""

from __future__ import annotations

from voicechat.observe.feed import (
    FeedDropped,
    ObservedEvent,
    ObservedItem,
    ProblemSeen,
    SessionClosed,
    SessionOpened,
    TurnTimed,
)
from voicechat.ui.observer.session_state import SessionState
from voicechat.ui.problems import Problem, redact


class ObserverModel:
    """Sessions in the order they opened, the run's own problems, and the drop count."""

    def __init__(self) -> None:
        self.sessions: dict[str, SessionState] = {}
        self.order: list[str] = []
        self.run_problems: list[Problem] = []
        self.dropped = 0
        self.events = 0

    def session(self, session: str) -> SessionState:
        """The state of ``session``, created on first sight (an event may beat its opening)."""
        state = self.sessions.get(session)
        if state is None:
            state = self.sessions[session] = SessionState(session, redact(session), "?", 0.0)
            self.order.append(session)
        return state

    def apply(self, item: ObservedItem) -> str | None:
        """Fold ``item`` in; the id of the session it changed (None for run-wide items)."""
        if isinstance(item, ObservedEvent):
            self.events += 1
            self.session(item.session).add_record(item.record)
            return item.session
        if isinstance(item, SessionOpened):
            state = self.session(item.session)
            state.label, state.kind, state.opened_t = redact(item.label), item.kind, item.t
            return item.session
        if isinstance(item, ProblemSeen):
            self.session(item.session).add_problem(item)
            return item.session
        if isinstance(item, TurnTimed):
            self.session(item.session).add_latency(item.item_id, item.line)
            return item.session
        if isinstance(item, SessionClosed):
            state = self.session(item.session)
            state.closed_by, state.close_reason = item.by, redact(item.reason)
            return item.session
        if isinstance(item, FeedDropped):
            self.dropped += item.count
        return None

    def selector_label(self, session: str) -> str:
        """``2. label`` plus ``(closed by app: reason)`` once closed."""
        state = self.sessions[session]
        text = f"{self.order.index(session) + 1}. {state.label}"
        if state.closed:
            text += f"  ✕ closed by {state.closed_by}"
            if state.close_reason:
                text += f": {state.close_reason}"
        return text
