"""The TUI's :class:`~voicechat.ui.handle.Approver`: tool calls asked about one modal at a time.

The calls of one response run concurrently, so several may ask at once; stacking their modals
would hide all but the last and let one key answer the wrong one. Requests wait in arrival
order and the modal for the next opens when the previous is answered; the open one says how many
are waiting. Answering "always" for a tool also answers the waiting calls of that same tool
(they would not have been asked had they come a moment later). A request whose await is
cancelled (its response was cancelled, the app quits) leaves the queue, and its modal closes
when it is the screen on top.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from textual.app import App

from voicechat.ui.handle import ApprovalDecision, ToolApproval
from voicechat.ui.widgets.approval import ApprovalScreen


@dataclass
class _Waiting:
    request: ToolApproval
    answer: asyncio.Future[ApprovalDecision] = field(repr=False)
    screen: ApprovalScreen | None = None


class ApprovalQueue:
    """Implements ``Approver`` on top of one Textual app (see the module docstring)."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._queue: list[_Waiting] = []

    @property
    def waiting(self) -> tuple[ToolApproval, ...]:
        """The requests not answered yet, the one on screen first."""
        return tuple(w.request for w in self._queue)

    @property
    def shown(self) -> ApprovalScreen | None:
        return self._queue[0].screen if self._queue else None

    async def __call__(self, request: ToolApproval) -> ApprovalDecision:
        waiting = _Waiting(request, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        self._show_next()
        try:
            return await waiting.answer
        except asyncio.CancelledError:
            self._withdraw(waiting)
            raise

    def deny_all(self) -> None:
        """Answer every waiting request with "deny" (the app is quitting)."""
        queue, self._queue = self._queue, []
        for waiting in queue:
            if not waiting.answer.done():
                waiting.answer.set_result("deny")

    # --- internals --------------------------------------------------------------------------

    def _show_next(self) -> None:
        if not self._queue:
            return
        head = self._queue[0]
        if head.screen is None:
            head.screen = ApprovalScreen(head.request, waiting=len(self._queue) - 1)
            self._app.push_screen(head.screen, callback=lambda d, w=head: self._answered(w, d))
        else:
            head.screen.set_waiting(len(self._queue) - 1)

    def _answered(self, waiting: _Waiting, decision: ApprovalDecision | None) -> None:
        if waiting in self._queue:
            self._queue.remove(waiting)
        self._resolve(waiting, decision or "deny")
        if decision == "always":
            for other in [w for w in self._queue if w.request.tool == waiting.request.tool]:
                self._queue.remove(other)
                self._resolve(other, "always")
        self._show_next()

    @staticmethod
    def _resolve(waiting: _Waiting, decision: ApprovalDecision) -> None:
        if not waiting.answer.done():
            waiting.answer.set_result(decision)

    def _withdraw(self, waiting: _Waiting) -> None:
        if waiting not in self._queue:
            return
        self._queue.remove(waiting)
        screen = waiting.screen
        if screen is not None and screen.is_attached:
            if self._app.screen_stack[-1:] == [screen]:
                self._app.pop_screen()
            else:  # covered by another screen (the key help): it says so until answered
                screen.withdraw()
        if self._app.is_running:
            self._show_next()
