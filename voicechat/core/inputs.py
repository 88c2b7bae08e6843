"""Inputs the session core accepts besides server events: user commands and local facts.

User commands come from keys in the TUI (or ``--no-ui`` stdin); local facts come from the
runtime, which alone knows what really reached the speaker and the server. Timing is never part
of an input: the caller passes ``now`` to :meth:`voicechat.core.session.Session.handle`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicechat.core.local_barge_in import TalkFrame
from voicechat.core.tool_specs import ToolSpec

# --- user commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TalkPressed:
    """The talk key went down (toggle style: flips push-to-talk open/closed)."""


@dataclass(frozen=True)
class TalkReleased:
    """The talk key came up (release style only; terminals without key-up never send it)."""


@dataclass(frozen=True)
class SetPttStyle:
    """Switch push-to-talk between ``toggle`` and ``release`` (hold) while running.

    The UI learns only after start-up whether the terminal reports key releases (the kitty
    keyboard protocol, see ``voicechat.ui.key_release``), so the style cannot be fixed up front.
    """

    style: str


@dataclass(frozen=True)
class ToggleMute:
    """The user's own mute key; it wins over every other reason to open the mic."""


@dataclass(frozen=True)
class SetBargeIn:
    """Turn barge-in (speech interrupts the assistant) on or off."""

    enabled: bool


@dataclass(frozen=True)
class CancelRequested:
    """The user asked to stop the assistant: cancel the response and cut playback."""


@dataclass(frozen=True)
class SendText:
    """A typed user message: becomes a user item, then a (gated) response."""

    text: str


@dataclass(frozen=True)
class SendImage:
    """A picture for the model: a user item with an ``input_image`` part (``image_url``, a
    ``data:`` URL the runtime read and checked) and the caption as ``input_text``, then a
    (gated) response. ``label`` names it in notices (``a PNG image, 640 by 480``)."""

    image_url: str
    caption: str = ""
    label: str = "an image"


@dataclass(frozen=True)
class UpdateSession:
    """Change settings of the running session: ``session`` is a canonical (GA) fragment of the
    session object (``instructions``, ``audio.output.voice``, ``audio.input.turn_detection``, …)
    sent with ``session.update`` once it validates, and kept for the comparison with what the
    server applied."""

    session: Mapping[str, Any] = field(default_factory=dict, hash=False)


# --- local facts from the runtime ----------------------------------------------------------------


@dataclass(frozen=True)
class PlaybackStarted:
    """Assistant audio for ``item_id`` began to reach the speaker (``None`` when unknown)."""

    item_id: str | None = None


@dataclass(frozen=True)
class PlaybackProgress:
    """``played_ms`` of ``item_id``'s audio have really been played so far (cumulative).

    Report it on both transports while assistant audio is audible (every 100-250 ms is plenty):
    it sizes ``conversation.item.truncate`` on barge-in, and on WebRTC it is the evidence that
    keeps the mic muted while a long answer still plays after ``response.done``.
    """

    item_id: str
    played_ms: float


@dataclass(frozen=True)
class PlaybackDrained:
    """The local playback queue ran empty (the WebSocket stand-in for ``.stopped``)."""


@dataclass(frozen=True)
class MicAudio:
    """``ms`` of mic audio were sent to the server since the last report."""

    ms: float


@dataclass(frozen=True)
class TransportState:
    """The link changed: ``connecting``, ``connected``, ``reconnecting``, ``closed``, ``failed``."""

    state: str


@dataclass(frozen=True)
class SetMicAvailable:
    """Whether a capture device exists (``False`` shows "no device" and keeps the mic shut)."""

    available: bool


@dataclass(frozen=True)
class EchoLeaking:
    """The echo canceller's verdict changed: the assistant's voice ``leaking`` into the mic.

    While it leaks, speech heard during the assistant's turn is most likely the assistant itself,
    so it must not count as a barge-in (see :mod:`voicechat.core.barge_in`).
    """

    leaking: bool
    #: raised only by the hold after a speaker underrun (the canceller's own judges see no
    #: leak): the mic stays muted to the server, but the local barge-in detector, whose evidence
    #: is its own, may still pause and confirm
    hold: bool = False


@dataclass(frozen=True)
class LocalTalk:
    """One mic frame as the local barge-in detector measured it (echo-cancelled mic, speech
    probability, the canceller's figures); fed while the assistant's audio plays. See
    :mod:`voicechat.core.local_barge_in`."""

    frame: TalkFrame


@dataclass(frozen=True)
class SetLocalDetector:
    """Whether the runtime runs the local barge-in detector (echo cancellation on, the speech
    model loaded). With it, the detector decides barge-ins during playback, not the server's
    speech segments."""

    on: bool


@dataclass(frozen=True)
class ToolFinished:
    """The runtime finished running ``call_id``: ``output`` is what the model is told (the
    result, or what went wrong when ``ok`` is false); ``duration`` in seconds."""

    call_id: str
    output: str
    ok: bool = True
    duration: float = 0.0


@dataclass(frozen=True)
class ToolApproval:
    """The user's answer to :class:`~voicechat.core.actions.AskApproval`: ``once``, ``always``
    (this tool, for the rest of the session) or ``deny``."""

    call_id: str
    decision: str


@dataclass(frozen=True)
class SetTools:
    """The function tools on offer changed (start, an MCP server's ``tools/list_changed``):
    the core declares them with a ``session.update``."""

    tools: Sequence[ToolSpec] = field(default=(), hash=False)


Input = (
    TalkPressed
    | TalkReleased
    | SetPttStyle
    | ToggleMute
    | SetBargeIn
    | CancelRequested
    | SendText
    | SendImage
    | UpdateSession
    | PlaybackStarted
    | PlaybackProgress
    | PlaybackDrained
    | MicAudio
    | TransportState
    | SetMicAvailable
    | EchoLeaking
    | LocalTalk
    | SetLocalDetector
    | ToolFinished
    | ToolApproval
    | SetTools
)
