"""Carrying out the core's tool actions on the event loop, never blocking it.

``RunTool`` starts an asyncio task (MCP calls are awaited, commands are subprocesses) whose
result comes back to the core as ``ToolFinished`` with its duration; an exception in our own
code becomes an output that says so, never a crash. ``CancelTool`` (the core's timeout) cancels
the task, which kills a command's process group. ``AskApproval`` goes to the prompt the UI or
``--no-ui`` installed; with none, the call is denied and the notice names the flag that allows
tools without asking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from voicechat.core import AskApproval, CancelTool, Input, RunTool, ToolApproval, ToolFinished
from voicechat.runtime.tools.toolbox import ToolBox

log = logging.getLogger(__name__)
ApprovalPrompt = Callable[[AskApproval], None]
NO_PROMPT_NOTICE = (
    "tool {name} ({source}) was denied: tool_approval is ask and there is no terminal to ask "
    "on; run with --tool-approval auto (or set tool_approval) to let tools run without asking"
)


class ToolRunner:
    """The running calls of one conversation."""

    def __init__(
        self,
        box: ToolBox | None,
        feed: Callable[[Input], object],
        notice: Callable[[str, str], None],
        clock: Callable[[], float],
    ) -> None:
        self.box = box
        self._feed = feed
        self._notice = notice
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.prompt: ApprovalPrompt | None = None

    def run(self, action: RunTool) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(action), name=f"tool-{action.call_id}"
        )
        call_id = action.call_id
        self._tasks[call_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(call_id, None))

    def cancel(self, action: CancelTool) -> None:
        task = self._tasks.pop(action.call_id, None)
        if task is not None:
            task.cancel()

    def ask(self, action: AskApproval) -> None:
        """Hand the question to the prompt, or deny at once (fed on the next loop turn: the
        driver is in the middle of carrying out actions)."""
        if self.prompt is not None:
            self.prompt(action)
            return
        self._notice("warning", NO_PROMPT_NOTICE.format(name=action.name, source=action.source))
        asyncio.get_running_loop().call_soon(self._feed, ToolApproval(action.call_id, "deny"))

    def answer(self, call_id: str, decision: str) -> None:
        self._feed(ToolApproval(call_id, decision))

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _run(self, action: RunTool) -> None:
        started = self._clock()
        box = self.box
        try:
            if box is None:
                output, ok = f"error: there is no tool named {action.name!r}", False
            else:
                timeout = next((s.timeout_s for s in box.specs() if s.name == action.name), 30.0)
                output, ok = await box.run(action.name, action.arguments, timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # our bug or a library's: the model is told, the run goes on
            log.exception("tool %s failed", action.name)
            output, ok = f"error: tool {action.name} failed: {type(exc).__name__}: {exc}", False
        if box is not None:
            for failure in box.new_failures():
                self._notice("warning", failure)
        self._feed(ToolFinished(action.call_id, output, ok, self._clock() - started))
