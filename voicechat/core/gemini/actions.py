"""What the Gemini Live core asks its caller to do, beside the shared actions.

:class:`~voicechat.core.actions.Send`, :class:`~voicechat.core.actions.FlushPlayback`,
:class:`~voicechat.core.actions.Notice`, :class:`~voicechat.core.actions.RunTool` and
:class:`~voicechat.core.actions.CancelTool` mean what they mean for Realtime and GPT-Live and are
reused (approval happens in the runtime, before a ``RunTool`` runs, as for GPT-Live). The two
below exist because Gemini Live alone has them: a connection that is replaced on purpose
(``goAway``, the ~10-minute life of a connection) and turns the client synthesises itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send

Speaker = Literal["user", "assistant"]


@dataclass(frozen=True)
class Reconnect:
    """Close the current socket (if open), open a new one and report
    :class:`~voicechat.core.gemini.inputs.Connected`; ``handle`` is the session to resume
    (``None``: a fresh session, the conversation's context is gone)."""

    handle: str | None
    reason: str


@dataclass(frozen=True)
class CloseConnection:
    """Close the socket for good (the user ended the conversation)."""

    reason: str


@dataclass(frozen=True)
class TurnEnded:
    """One line of the conversation the client put together from transcript fragments: the
    user's words (spoken or typed) or the model's answer; ``interrupted`` when the user spoke
    over it (what is in ``text`` is what was transcribed before the cut)."""

    speaker: Speaker
    text: str
    number: int
    typed: bool = False
    interrupted: bool = False


GeminiAction = (
    Send | FlushPlayback | Notice | RunTool | CancelTool | Reconnect | CloseConnection
    | TurnEnded
)

__all__ = [
    "CancelTool",
    "CloseConnection",
    "FlushPlayback",
    "GeminiAction",
    "Notice",
    "Reconnect",
    "RunTool",
    "Send",
    "Speaker",
    "TurnEnded",
]
