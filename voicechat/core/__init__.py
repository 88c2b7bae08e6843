"""The sans-IO session core: server events and user inputs in, actions and a view out.

Imports only :mod:`voicechat.protocol` and the standard library and never reads a clock; see
:mod:`voicechat.core.session` for the rules it keeps.
"""

from voicechat.core.actions import Action, FlushPlayback, MuteMic, Notice, Send, UnmuteMic
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
    TalkPressed,
    TalkReleased,
    ToggleMute,
    TransportState,
)
from voicechat.core.mic import MicReason, MicState
from voicechat.core.policy import SessionPolicy, initial_session
from voicechat.core.session import Session
from voicechat.core.view import (
    PlaybackSpan,
    ResponseInfo,
    SessionView,
    TranscriptEntry,
    VadSegment,
)

__all__ = [
    "Action",
    "CancelRequested",
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
    "Send",
    "SendText",
    "Session",
    "SessionPolicy",
    "SessionView",
    "SetBargeIn",
    "SetMicAvailable",
    "SetPttStyle",
    "TalkPressed",
    "TalkReleased",
    "ToggleMute",
    "TranscriptEntry",
    "TransportState",
    "UnmuteMic",
    "VadSegment",
    "initial_session",
]
