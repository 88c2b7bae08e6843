"""The sans-IO core for GPT-Live (``/v1/live/sessions``): events in, actions out, time passed in.

GPT-Live is its own API family beside Realtime (:mod:`voicechat.core`): one strict
``session.start``, continuous audio both ways, two timed transcript streams the client groups
into turns itself, no end-of-speech event (what was played is the client's own bookkeeping),
interruptions decided by the model alone, appends instead of instruction updates, and delegated
tasks. What is truly shared with the Realtime core is reused: the ``Send``, ``FlushPlayback``,
``Notice``, ``RunTool`` and ``CancelTool`` actions and the ``ToolFinished`` and
``TransportState`` inputs. See :mod:`voicechat.core.live.session` for the rules.
"""

from voicechat.core.live.actions import (
    CancelDelegation,
    LiveAction,
    MicStream,
    RunDelegation,
)
from voicechat.core.live.inputs import (
    Append,
    CloseSession,
    DelegationFinished,
    DelegationProgress,
    LiveInput,
    OutputArrived,
    PlaybackFlushed,
    PlaybackProgress,
    StopAssistant,
    ToggleMute,
    TypedLine,
)
from voicechat.core.live.policy import LivePolicy, session_config, start_event
from voicechat.core.live.session import LiveSession
from voicechat.core.live.view import LiveView, TaskView, TurnView

__all__ = [
    "Append",
    "CancelDelegation",
    "CloseSession",
    "DelegationFinished",
    "DelegationProgress",
    "LiveAction",
    "LiveInput",
    "LivePolicy",
    "LiveSession",
    "LiveView",
    "MicStream",
    "OutputArrived",
    "PlaybackFlushed",
    "PlaybackProgress",
    "RunDelegation",
    "StopAssistant",
    "TaskView",
    "ToggleMute",
    "TurnView",
    "TypedLine",
    "session_config",
    "start_event",
]
