"""The sans-IO core for Gemini Live (``BidiGenerateContent``), the third family beside Realtime
(:mod:`voicechat.core`) and GPT-Live (:mod:`voicechat.core.live`): decoded server events
(:mod:`voicechat.protocol.gemini.events`) and user inputs in, actions out, time passed in.

Gemini Live has one ``setup`` per connection, no items or responses (the client builds its
turns from transcripts), tool calls that block the model's turn until every id is answered, and
connections that last about ten minutes (the session resumes on a new one). The actions it
shares with the other families are reused: ``Send``, ``FlushPlayback``, ``Notice``,
``RunTool``, ``CancelTool``; and the ``ToolFinished`` input. See
:mod:`voicechat.core.gemini.session`.
"""

from voicechat.core.gemini.actions import (
    CloseConnection,
    GeminiAction,
    Reconnect,
    TurnEnded,
)
from voicechat.core.gemini.inputs import (
    Connected,
    ConnectFailed,
    ConnectionClosed,
    GeminiInput,
    Hangup,
    MicAudio,
    TypedImage,
    TypedText,
)
from voicechat.core.gemini.policy import GeminiPolicy
from voicechat.core.gemini.session import GeminiSession, GeminiView

__all__ = [
    "CloseConnection",
    "ConnectFailed",
    "Connected",
    "ConnectionClosed",
    "GeminiAction",
    "GeminiInput",
    "GeminiPolicy",
    "GeminiSession",
    "GeminiView",
    "Hangup",
    "MicAudio",
    "Reconnect",
    "TurnEnded",
    "TypedImage",
    "TypedText",
]
