"""Delegated tasks: what the model handed off, to whom, and how far each has come.

``session.delegation.created`` carries metadata only (id, ``target``, ``response_id`` for
Responses), never the task text. Two targets are worked here:

* ``client``: the task is ours. The core asks the runtime to work it out
  (:class:`~voicechat.core.live.actions.RunDelegation`, the request rebuilt from the user's
  words), sends progress as ``session.thinking.append`` and the answer as
  ``session.commentary.append``, both with the task's ``delegation_id`` (the documented return
  path: D-deleg, and the SDK's append events). No completion signal exists and the model waits
  until something comes back, so a task unanswered after ``delegation_timeout_ms`` gets a
  fallback answer and a :class:`~voicechat.core.live.actions.CancelDelegation`.
* ``responses``: the service's backend runs it; its nested ``response.event`` stream moves the
  task along (function calls it makes of our tools: :mod:`~voicechat.core.live.backend_calls`).

An interruption cancels no task (tools behave as "don't cancel on interruption", per pipecat's
docs and D-deleg); a task's answer arriving after the session ended is dropped, never sent to a
newer session (mindroom#2004's lesson).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from voicechat.core.live.actions import CancelDelegation, RunDelegation
from voicechat.core.live.appends import Appends
from voicechat.core.live.effects import LiveEffects
from voicechat.protocol.live.wire import fit_append

TaskState = Literal["running", "answered", "completed", "failed", "timed_out", "abandoned"]
MAX_TASKS = 200
MAX_PROGRESS = 20


@dataclass
class Task:
    id: str
    target: str
    offset_ms: int
    started: float
    state: TaskState = "running"
    response_id: str | None = None
    request: str = ""
    progress: list[str] = field(default_factory=list)
    deadline: float | None = None

    def note(self, text: str) -> None:
        self.progress.append(text[:200])
        del self.progress[:-MAX_PROGRESS]


class Delegations:
    def __init__(self, effects: LiveEffects, appends: Appends, timeout_s: float,
                 fallback: str) -> None:
        self._out = effects
        self._appends = appends
        self._timeout_s = timeout_s
        self._fallback = fallback
        self.tasks: dict[str, Task] = {}
        self.version = 0

    def created(self, task_id: str, target: str, offset_ms: int, response_id: str | None,
                request: str, context: tuple[str, ...], now: float) -> None:
        if task_id in self.tasks:
            self._out.notice("warning", f"delegation {task_id[:40]} was announced twice")
            return
        task = Task(task_id, target, offset_ms, now, response_id=response_id, request=request)
        if len(self.tasks) >= MAX_TASKS:
            oldest = next((t for t in self.tasks.values() if t.state != "running"), None)
            self.tasks.pop(oldest.id if oldest else next(iter(self.tasks)))
        self.tasks[task_id] = task
        self.version += 1
        if target == "client":
            task.deadline = now + self._timeout_s
            self._out.act(RunDelegation(task_id, request, context))
        elif target != "responses":
            task.note(f"target {target[:40]}: not handled by this client")

    def progress(self, task_id: str, text: str) -> None:
        task = self._client_task(task_id, "progress")
        if task is not None:
            task.note(text)
            self.version += 1
            self._appends.send("thinking", fit_append(text), task_id)

    def finished(self, task_id: str, text: str, ok: bool) -> None:
        task = self._client_task(task_id, "answer")
        if task is None:
            return
        task.state = "answered" if ok else "failed"
        task.deadline = None
        task.note(text)
        self.version += 1
        self._appends.send("commentary", fit_append(text or "(no result)"), task_id)

    def _client_task(self, task_id: str, what: str) -> Task | None:
        task = self.tasks.get(task_id)
        if task is None or task.target != "client":
            self._out.notice("warning", f"dropped a {what} for unknown delegation "
                                        f"{task_id[:40]} (from an earlier session?)")
            return None
        if task.state != "running":
            self._out.notice("info", f"dropped a late {what} for delegation {task_id[:40]} "
                                     f"({task.state})")
            return None
        return task

    def deadline(self) -> float | None:
        times = [t.deadline for t in self.tasks.values() if t.deadline is not None]
        return min(times) if times else None

    def expire(self, now: float) -> None:
        for task in self.tasks.values():
            if task.deadline is not None and now >= task.deadline:
                task.deadline = None
                task.state = "timed_out"
                self.version += 1
                self._out.notice("warning", f"delegation {task.id[:40]} got no answer in "
                                            f"{self._timeout_s:g} s; the model is told so")
                self._out.act(CancelDelegation(task.id, "timed out"))
                self._appends.send("commentary", self._fallback, task.id)

    def backend_state(self, task_id: str | None, state: TaskState, note: str) -> None:
        task = self.tasks.get(task_id) if task_id is not None else None
        if task is None:
            return
        if task.state == "running" or state != "running":
            task.state = state
        task.note(note)
        self.version += 1

    def abandon(self) -> None:
        """The session ended: running tasks will never be answered on it."""
        for task in self.tasks.values():
            if task.state == "running":
                task.state = "abandoned"
                task.deadline = None
                if task.target == "client":
                    self._out.act(CancelDelegation(task.id, "session ended"))
                self.version += 1
