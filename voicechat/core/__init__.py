"""The sans-IO session core: server events and user inputs in, actions and a view out.

Imports only :mod:`voicechat.protocol` and the standard library and never reads a clock; see
:mod:`voicechat.core.session` for the rules it keeps.
"""

from voicechat.core.actions import (
    Action,
    AskApproval,
    CancelTool,
    FlushPlayback,
    MuteMic,
    Notice,
    RunTool,
    Send,
    ToolRecord,
    UnmuteMic,
)
from voicechat.core.inputs import (
    CancelRequested,
    EchoLeaking,
    Input,
    MicAudio,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    SendText,
    SetBargeIn,
    SetMicAvailable,
    SetPttStyle,
    SetTools,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    ToolApproval,
    ToolFinished,
    TransportState,
)
from voicechat.core.mic import MicReason, MicState
from voicechat.core.policy import SessionPolicy, initial_session
from voicechat.core.session import Session
from voicechat.core.tool_specs import (
    APPROVALS,
    DEFAULT_TOOL_TIMEOUT_S,
    Approval,
    ToolCallView,
    ToolSpec,
)
from voicechat.core.view import (
    PlaybackSpan,
    ResponseInfo,
    SessionView,
    TranscriptEntry,
    VadSegment,
)

__all__ = [
    "APPROVALS",
    "DEFAULT_TOOL_TIMEOUT_S",
    "Action",
    "Approval",
    "AskApproval",
    "CancelRequested",
    "CancelTool",
    "EchoLeaking",
    "FlushPlayback",
    "Input",
    "MicAudio",
    "MicReason",
    "MicState",
    "MuteMic",
    "Notice",
    "PlaybackDrained",
    "PlaybackProgress",
    "PlaybackSpan",
    "PlaybackStarted",
    "ResponseInfo",
    "RunTool",
    "Send",
    "SendText",
    "Session",
    "SessionPolicy",
    "SessionView",
    "SetBargeIn",
    "SetMicAvailable",
    "SetPttStyle",
    "SetTools",
    "TalkPressed",
    "TalkReleased",
    "ToggleMute",
    "ToolApproval",
    "ToolCallView",
    "ToolFinished",
    "ToolRecord",
    "ToolSpec",
    "TranscriptEntry",
    "TransportState",
    "UnmuteMic",
    "VadSegment",
    "initial_session",
]
