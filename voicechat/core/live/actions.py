"""What the GPT-Live core asks its caller to do, beside the Realtime core's shared actions.

:class:`~voicechat.core.actions.Send`, :class:`~voicechat.core.actions.FlushPlayback`,
:class:`~voicechat.core.actions.Notice`, :class:`~voicechat.core.actions.RunTool` and
:class:`~voicechat.core.actions.CancelTool` mean the same in both families and are reused; the
two below exist because GPT-Live's mic and its client delegations have no Realtime twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send

MicStreamMode = Literal["hold", "live", "silence"]


@dataclass(frozen=True)
class MicStream:
    """How the runtime feeds the mic to the session.

    ``hold``: send nothing (before ``session.started``, after the session ended); ``live``:
    stream the mic at real-time pace, never gated by playback (full duplex: the model hears
    barge-in and keeps its timeline only from a continuous stream); ``silence``: stream zeros at
    the same pace (the user's mute: the model's timeline goes on, the user's voice does not).
    """

    mode: MicStreamMode
    reason: str


@dataclass(frozen=True)
class RunDelegation:
    """The model handed a task to the client (``delegation.type: client``): work it out and
    answer with :class:`~voicechat.core.live.inputs.DelegationProgress` /
    :class:`~voicechat.core.live.inputs.DelegationFinished` for ``delegation_id``.

    The server sends no task text (SDK ``DelegationCreatedEvent``: "metadata, not the task
    text"), so ``request`` is rebuilt from the transcript: the user's words since the
    assistant last spoke, which may still be incomplete (the notice can arrive before the
    sentence is fully transcribed); ``context`` is the recent turns as ``speaker: text`` lines.
    """

    delegation_id: str
    request: str
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class CancelDelegation:
    """Stop working on ``delegation_id`` (timed out: a fallback answer was already sent)."""

    delegation_id: str
    reason: str


LiveAction = (
    Send | FlushPlayback | Notice | RunTool | CancelTool | MicStream | RunDelegation
    | CancelDelegation
)

__all__ = [
    "CancelDelegation",
    "CancelTool",
    "FlushPlayback",
    "LiveAction",
    "MicStream",
    "MicStreamMode",
    "Notice",
    "RunDelegation",
    "RunTool",
    "Send",
]
