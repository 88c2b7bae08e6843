"""``--no-ui`` asks about tool calls on the terminal: the next typed line is the answer.

Only when stdin is a terminal (someone is there to answer); otherwise no prompt is installed
and the runtime denies ``ask`` calls with a notice naming ``--tool-approval auto``. Questions
wait in order; each is printed with the tool, its source and its arguments (control characters
shown as escapes, long arguments cut).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from voicechat.core import AskApproval
from voicechat.protocol.text import printable

ANSWERS = {
    "y": "once",
    "yes": "once",
    "once": "once",
    "a": "always",
    "always": "always",
    "n": "deny",
    "no": "deny",
    "deny": "deny",
}
MAX_ARGUMENTS_SHOWN = 300


class TerminalApproval:
    """Approval questions on the terminal, answered by typed lines."""

    def __init__(self, runtime: Any, say: Callable[[str], None]) -> None:
        self._runtime = runtime
        self._say = say
        self._waiting: deque[AskApproval] = deque()

    def ask(self, action: AskApproval) -> None:
        self._waiting.append(action)
        if len(self._waiting) == 1:
            self._show(action)

    def take_line(self, text: str) -> bool:
        """The answer to the oldest question, if one waits; ``False`` leaves the line alone."""
        if not self._waiting:
            return False
        word = text.strip().lower()
        decision = ANSWERS.get(word)
        if decision is None:
            self._say(
                f"      ?? answer y (once), a (always for {self._waiting[0].name}) or n (deny)"
            )
            return True
        action = self._waiting.popleft()
        self._runtime.answer_tool(action.call_id, decision)
        if self._waiting:
            self._show(self._waiting[0])
        return True

    def input_over(self) -> None:
        """Ctrl+D: nobody is left to answer, so the questions waiting are denied (the run
        would otherwise wait on them for ever) and later calls are denied by the runtime,
        with its notice naming ``--tool-approval auto``, as when stdin is no terminal."""
        self._runtime.set_tool_prompt(None)
        while self._waiting:
            action = self._waiting.popleft()
            self._say(f"      ?? no answer for {action.name} (end of the input): denied")
            self._runtime.answer_tool(action.call_id, "deny")

    def _show(self, action: AskApproval) -> None:
        args = action.arguments
        if len(args) > MAX_ARGUMENTS_SHOWN:
            args = args[:MAX_ARGUMENTS_SHOWN] + "…"
        what = "hosted MCP tool" if action.kind == "mcp" else "tool"
        self._say(
            printable(
                f"      ?? the model wants to run {what} {action.name} "
                f"({action.source}) with {args or '{}'}: allow? "
                "[y] once, [a] always this session, [n] deny"
            )
        )
