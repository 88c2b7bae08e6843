"""Which calling responses still owe their one ``response.create``, and when it is sent.

One :class:`Turn` per response that carried calls (or ended, so a late call item of a cancelled
response is still recognised). The reply is sent once the response's ``response.done`` has
arrived and every one of its calls is final, never after the user's turn led (a barge-in, the
cancel key, a response the user started while calls ran, a response that did not complete).
:mod:`voicechat.core.tool_calls` owns the calls; this part is told their statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from voicechat.core.response_flow import ResponseFlow

MAX_TURNS_KEPT = 200
Pending = Callable[[str], bool]  # call_id -> not final yet
Answered = Callable[[str], bool]  # call_id -> got an output (not skipped)


@dataclass
class Turn:
    """The calls of one response and whether its one reply is still owed."""

    calls: list[str] = field(default_factory=list)
    done: bool = False
    completed: bool = False
    no_reply: bool = False
    replied: bool = False


class ToolReplies:
    """The turns by response id, and the one reply each may owe."""

    def __init__(self, responses: ResponseFlow, pending: Pending, answered: Answered) -> None:
        self._responses = responses
        self._pending = pending
        self._answered = answered
        self._turns: dict[str, Turn] = {}
        self._ours_next = False  # the next response.created answers our outputs

    def get(self, rid: str | None) -> Turn | None:
        return self._turns.get(rid or "")

    def turn(self, rid: str | None) -> Turn:
        key = rid or ""
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = Turn()
        return turn

    def created(self) -> None:
        """A new response: ours (the reply), or the user's turn, which then leads."""
        if self._ours_next:
            self._ours_next = False
            return
        for turn in self._turns.values():
            if not turn.replied and any(self._pending(c) for c in turn.calls):
                turn.no_reply = True

    def interrupted(self) -> None:
        """Barge-in or the cancel key: no reply is owed any more."""
        self._ours_next = False
        for turn in self._turns.values():
            if not turn.replied:
                turn.no_reply = True

    def ended(self, turn: Turn, completed: bool) -> None:
        turn.done, turn.completed = True, completed
        if not completed:
            turn.no_reply = True
        self._forget_old()

    def maybe_reply(self, rid: str | None) -> None:
        """Send the reply if ``rid``'s response is done and all its calls are answered."""
        turn = self.get(rid)
        if turn is None or not turn.done or turn.no_reply or turn.replied or not turn.calls:
            return
        if any(self._pending(c) for c in turn.calls):
            return
        if any(self._answered(c) for c in turn.calls):
            self.reply(turn)

    def reply(self, turn: Turn) -> None:
        turn.replied = True
        self._ours_next = not self._responses.busy
        self._responses.request()

    def _forget_old(self) -> None:
        """Bounded memory: the oldest ended turns with nothing pending go first."""
        while len(self._turns) > MAX_TURNS_KEPT:
            rid = next(
                (
                    r
                    for r, t in self._turns.items()
                    if t.done and not any(self._pending(c) for c in t.calls)
                ),
                None,
            )
            if rid is None:
                return
            del self._turns[rid]
