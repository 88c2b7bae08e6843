"""The TUI's tool prompt: tool calls that need approval, asked one modal at a time.

The runtime calls the prompt (:data:`voicechat.ui.handle.ToolPrompt`) on the loop for each call
under ``tool_approval = "ask"`` and takes the answer through ``handle.answer_tool``. The calls of
one response run concurrently, so several may ask at once; stacking their modals would hide all
but the last and let one key answer the wrong one. Requests wait in arrival order and the modal
for the next opens when the previous is answered; the open one says how many are waiting.
Answering "always" for a tool also answers the waiting calls of that same tool (they would not
have been asked had they come a moment later). A call that stops waiting without an answer (its
response was cancelled) leaves the queue when the session view says so (:meth:`keep_waiting`),
and its modal closes when it is the screen on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from textual.app import App

from voicechat.core.actions import AskApproval
from voicechat.ui.handle import ApprovalDecision
from voicechat.ui.tool_calls import ToolCall, source_label
from voicechat.ui.widgets.approval import ApprovalRequest, ApprovalScreen

Answer = Callable[[str, ApprovalDecision], None]
"""``handle.answer_tool``: (call_id, decision)."""


def request_from(ask: AskApproval) -> ApprovalRequest:
    """The core's question as the modal's plain value (the source said for people)."""
    return ApprovalRequest(id=ask.call_id, tool=ask.name, arguments=ask.arguments,
                           source=source_label(ask.source, ask.kind))


@dataclass
class _Waiting:
    request: ApprovalRequest
    screen: ApprovalScreen | None = None


class ApprovalQueue:
    """The prompt and its queue of modals (see the module docstring)."""

    def __init__(self, app: App[Any], answer: Answer) -> None:
        self._app = app
        self._answer = answer
        self._queue: list[_Waiting] = []

    @property
    def waiting(self) -> tuple[ApprovalRequest, ...]:
        """The requests not answered yet, the one on screen first."""
        return tuple(w.request for w in self._queue)

    def __call__(self, ask: AskApproval) -> None:
        """The runtime's prompt: queue the call; returns at once."""
        self.add(request_from(ask))

    def add(self, request: ApprovalRequest) -> None:
        if any(w.request.id == request.id for w in self._queue):
            return  # asked again (a redraw re-showing it): it is already waiting
        self._queue.append(_Waiting(request))
        self._show_next()

    def keep_waiting(self, calls: Iterable[ToolCall]) -> None:
        """Withdraw the requests whose call the session view no longer shows waiting: answered
        or ended elsewhere, or gone with the session (a reconnect starts a new one). The
        runtime asks only after the core marked the call waiting, so a request always has its
        call in the view by the next frame. Called every frame: nothing to do when nothing
        waits."""
        if not self._queue:
            return
        still = {c.call_id for c in calls if c.status == "awaiting_approval"}
        for waiting in [w for w in self._queue if w.request.id not in still]:
            self._withdraw(waiting)

    def deny_all(self) -> None:
        """Answer every waiting request with "deny" (the app is quitting)."""
        queue, self._queue = self._queue, []
        for waiting in queue:
            self._answer(waiting.request.id, "deny")

    # --- internals --------------------------------------------------------------------------

    def _show_next(self) -> None:
        if not self._queue or not self._app.is_running:
            return
        head = self._queue[0]
        if head.screen is None:
            head.screen = ApprovalScreen(head.request, waiting=len(self._queue) - 1)
            self._app.push_screen(head.screen, callback=lambda d, w=head: self._answered(w, d))
        else:
            head.screen.set_waiting(len(self._queue) - 1)

    def _answered(self, waiting: _Waiting, decision: ApprovalDecision | None) -> None:
        if waiting not in self._queue:
            return  # withdrawn while another screen covered it
        self._queue.remove(waiting)
        decision = decision or "deny"
        self._answer(waiting.request.id, decision)
        if decision == "always":
            for other in [w for w in self._queue if w.request.tool == waiting.request.tool
                          and w.request.source == waiting.request.source]:
                self._queue.remove(other)
                self._answer(other.request.id, "always")
        self._show_next()

    def _withdraw(self, waiting: _Waiting) -> None:
        self._queue.remove(waiting)
        screen = waiting.screen
        if screen is not None and screen.is_attached:
            if self._app.screen_stack[-1:] == [screen]:
                self._app.pop_screen()
            else:  # covered by another screen (the key help): it says so until answered
                screen.withdraw()
        self._show_next()
