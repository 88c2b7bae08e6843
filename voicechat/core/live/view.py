"""A read-only snapshot of a GPT-Live session for the UI, the headless run and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicechat.core.actions import Notice

LifeState = Literal["idle", "starting", "active", "closing", "closed", "failed"]


@dataclass(frozen=True)
class TurnView:
    """One turn; ``heard_text`` is the part of an assistant turn that was really played."""

    number: int
    speaker: Literal["user", "assistant"]
    text: str
    start_ms: int
    end_ms: int
    closed: bool
    interrupted: bool
    heard_text: str | None = None


@dataclass(frozen=True)
class TaskView:
    id: str
    target: str
    state: str
    request: str
    progress: tuple[str, ...]


@dataclass(frozen=True)
class LiveView:
    state: LifeState
    session_id: str | None
    expires_at: int | None
    close_reason: str | None
    turns: tuple[TurnView, ...]
    assistant_speaking: bool
    received_ms: float | None
    played_ms: float
    dropped_ms: float
    muted: bool
    tasks: tuple[TaskView, ...]
    usage_seconds: float | None
    context_ratio: float | None
    notices: tuple[Notice, ...]
