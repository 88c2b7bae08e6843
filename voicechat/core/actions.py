"""What the session core asks its caller to do.

Effects are data: the core never touches a socket, a speaker or a microphone. The runtime reads
these frozen objects and carries them out, which is what lets every session rule be tested with
plain function calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from voicechat.core.mic import MicReason

NoticeLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class Send:
    """Send ``event`` to the server as it is: already rendered for the endpoint's dialect and,
    for config events, already validated."""

    event: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class MuteMic:
    """Stop sending microphone audio (send nothing, or silence on a WebRTC track)."""

    reason: MicReason


@dataclass(frozen=True)
class UnmuteMic:
    """Send microphone audio again."""


@dataclass(frozen=True)
class FlushPlayback:
    """Stop local playback now and drop any queued assistant audio."""


@dataclass(frozen=True)
class Notice:
    """Something the user should see (and the event log should record as ``local.notice``)."""

    level: NoticeLevel
    message: str


Action = Send | MuteMic | UnmuteMic | FlushPlayback | Notice
