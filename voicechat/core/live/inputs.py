"""Inputs the GPT-Live core takes besides server events: user commands and local facts.

The runtime alone knows what reached the speaker (GPT-Live sends no end-of-speech event, so the
played audio is the only evidence of what the user heard) and what its tools answered. Time is
never part of an input: the caller passes ``now`` to every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicechat.core.inputs import ToolFinished, TransportState

AppendKind = Literal["instructions", "thinking", "commentary"]


@dataclass(frozen=True)
class PlaybackProgress:
    """``played_ms`` of assistant audio have reached the speaker so far (cumulative, all of
    the output stream: silence included) and whether what just played was ``audible`` speech
    (the player's energy gate; GPT-Live's stream never stops, so only energy says "speaking")."""

    played_ms: float
    audible: bool


@dataclass(frozen=True)
class OutputArrived:
    """WebRTC: ``ms`` of the assistant's stream reached our player from the remote track
    (decoded), ``silent`` by the player's energy gate (Opus does not keep exact zeros).

    Over WebSocket the core counts ``session.output_audio.delta`` itself; over WebRTC the audio
    rides RTP and only the runtime sees it, so it reports each decoded frame here: that lets the
    core see the model stop for the user and bound what was played by what arrived on both
    transports. Ignored over WebSocket (it would be counted twice)."""

    ms: float
    silent: bool


@dataclass(frozen=True)
class PlaybackFlushed:
    """The player dropped ``dropped_ms`` of queued audio (after a
    :class:`~voicechat.core.actions.FlushPlayback`, or on its own)."""

    dropped_ms: float


@dataclass(frozen=True)
class ToggleMute:
    """The user's mute key: the mic streams silence and the server is told
    (``session.input_audio.mute``), or both are undone."""


@dataclass(frozen=True)
class StopAssistant:
    """The user asked the assistant to stop: playback is flushed at once and the model is told
    (nothing on the wire cancels its speech; an instruction append is the documented way)."""


@dataclass(frozen=True)
class Append:
    """Send text into the session: ``instructions`` (trusted steering), ``thinking`` (silent
    context) or ``commentary`` (something the model should say)."""

    kind: AppendKind
    text: str
    delegation_id: str | None = None


#: how a typed line reaches the voice model (see :class:`TypedLine`)
TYPED_PREFIX = "The user typed: "


@dataclass(frozen=True)
class TypedLine:
    """Words the user typed. GPT-Live's voice model takes no text turn (reference §3: text
    alone is accepted silently and not answered); decided: they go in as a trusted
    ``session.instructions.append`` naming them as the user's typed words, and the transcript
    shows them as the user's turn, where they were typed (there is no transcript event for an
    append to show them otherwise)."""

    text: str


@dataclass(frozen=True)
class DelegationProgress:
    """Silent progress on a client delegation (sent as ``session.thinking.append``)."""

    delegation_id: str
    text: str


@dataclass(frozen=True)
class DelegationFinished:
    """A client delegation's answer (``session.commentary.append``: the model says it);
    ``ok`` false means ``text`` says what went wrong."""

    delegation_id: str
    text: str
    ok: bool = True


@dataclass(frozen=True)
class CloseSession:
    """End the session gracefully (``session.close``; ``session.closed`` confirms it)."""


LiveInput = (
    PlaybackProgress | PlaybackFlushed | OutputArrived | ToggleMute | StopAssistant | Append
    | TypedLine | DelegationProgress | DelegationFinished | CloseSession | ToolFinished
    | TransportState
)

__all__ = [
    "TYPED_PREFIX",
    "Append",
    "AppendKind",
    "CloseSession",
    "DelegationFinished",
    "DelegationProgress",
    "LiveInput",
    "OutputArrived",
    "PlaybackFlushed",
    "PlaybackProgress",
    "StopAssistant",
    "ToggleMute",
    "ToolFinished",
    "TransportState",
    "TypedLine",
]
