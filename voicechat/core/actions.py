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
class PausePlayback:
    """Hold local playback where it is (the user may be interrupting): nothing queued is
    dropped, and :class:`ResumePlayback` plays on from the same sample."""


@dataclass(frozen=True)
class ResumePlayback:
    """Play on after :class:`PausePlayback` (it was not the user after all)."""


@dataclass(frozen=True)
class Notice:
    """Something the user should see (and the event log should record as ``local.notice``)."""

    level: NoticeLevel
    message: str


@dataclass(frozen=True)
class RunTool:
    """Run the function tool ``name`` with ``arguments`` (already checked to be a JSON object)
    and report :class:`~voicechat.core.inputs.ToolFinished` for ``call_id``; never block."""

    call_id: str
    name: str
    arguments: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class AskApproval:
    """Ask the user whether ``call_id`` may run; answer with
    :class:`~voicechat.core.inputs.ToolApproval` (``once``, ``always`` or ``deny``).

    ``kind`` is ``function`` for a tool the client runs, ``mcp`` for a hosted MCP call
    (``source`` is then ``mcp:<server_label>``); ``arguments`` is the raw JSON text."""

    call_id: str
    name: str
    arguments: str
    source: str
    kind: Literal["function", "mcp"] = "function"


@dataclass(frozen=True)
class CancelTool:
    """Stop running ``call_id`` (it timed out): its output was already sent, a late result is
    ignored."""

    call_id: str
    reason: str


@dataclass(frozen=True)
class ToolRecord:
    """A ``local.tool.*`` record for the event log (the contract in docs/architecture.md)."""

    event: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class LocalRecord:
    """A ``local.*`` record of the core's own decisions (``local.bargein.*``) for the event log."""

    event: dict[str, Any] = field(hash=False)


Action = (
    Send | MuteMic | UnmuteMic | FlushPlayback | PausePlayback | ResumePlayback | Notice
    | RunTool | AskApproval | CancelTool | ToolRecord | LocalRecord
)
