"""What the Gemini Live core is told: user commands and local facts (server frames come in
already decoded, as :mod:`voicechat.protocol.gemini.events`).

:class:`~voicechat.core.inputs.ToolFinished` is reused for a tool's result.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicechat.core.inputs import ToolFinished


@dataclass(frozen=True)
class Connected:
    """The socket is open (first time or after a :class:`~.actions.Reconnect`): send setup."""


@dataclass(frozen=True)
class ConnectFailed:
    """Opening the socket failed (``reason`` says why, without secrets)."""

    reason: str


@dataclass(frozen=True)
class ConnectionClosed:
    """The socket closed: ``code`` from the close frame (``None``: dropped without one)."""

    code: int | None
    reason: str = ""


@dataclass(frozen=True)
class TypedText:
    """A typed line: a ``clientContent`` user turn."""

    text: str


@dataclass(frozen=True)
class TypedImage:
    """A picture the user sent (``/image``), base64, with an optional caption: one turn."""

    mime_type: str
    data: str
    caption: str = ""


@dataclass(frozen=True)
class MicAudio:
    """100 ms (or so) of mic audio, base64 16-bit PCM at 16 kHz; ``speech``: the runtime's
    level meter heard more than silence in it (a goAway waits for the user to pause, since
    a new connection does not get the audio the old one's VAD was holding)."""

    data: str
    speech: bool = False


@dataclass(frozen=True)
class Hangup:
    """The user ends the conversation."""


GeminiInput = (
    Connected | ConnectFailed | ConnectionClosed | TypedText | TypedImage | MicAudio | Hangup
    | ToolFinished
)

__all__ = [
    "ConnectFailed",
    "Connected",
    "ConnectionClosed",
    "GeminiInput",
    "Hangup",
    "MicAudio",
    "ToolFinished",
    "TypedImage",
    "TypedText",
]
