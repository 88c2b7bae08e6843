"""Immutable snapshots of the session for the UI (and for ``voicechat replay`` and tests).

The UI reads :attr:`voicechat.core.session.Session.view` at its own pace; the session rebuilds a
snapshot only when something changed since the last read, and unchanged transcript entries are
reused object-for-object, so a read between two deltas costs almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from voicechat.core.actions import Notice
from voicechat.core.mic import MIC_LABELS, MicReason, MicState
from voicechat.core.server_session import ReportedSession
from voicechat.core.tool_specs import ToolCallView, ToolSpec
from voicechat.core.usage import RateLimit, UsageView

EntryStatus = Literal["pending", "streaming", "done", "failed", "incomplete", "untranscribed"]
ResponseStatus = Literal[
    "requested", "in_progress", "completed", "cancelled", "failed", "incomplete"
]


@dataclass(frozen=True)
class TranscriptEntry:
    """One conversation item as text.

    ``status``: ``pending`` (user audio waiting for its transcript), ``streaming``, ``done``,
    ``failed`` (transcription failed; ``error`` says why), ``incomplete`` (the response was cut
    off), ``untranscribed`` (input transcription is off). ``truncated`` marks assistant text the
    user did not fully hear; ``heard`` is the part of ``text`` they did hear, when the client
    knows where it cut the audio (``None`` otherwise: a truncation by another client or from a
    log). ``text`` stays whole: the seeded transcript and saved conversations decide for
    themselves. ``kind`` is the item's type (``message``, ``function_call``,
    ``function_call_output``, ``mcp_call``, …; role ``tool`` for the tool ones), ``call_id``
    ties a call to its output and to :class:`~voicechat.core.tool_specs.ToolCallView`, and
    ``phase`` is gpt-realtime-2's ``commentary`` (a preamble) or ``final_answer``.
    """

    id: str
    role: str
    text: str
    status: EntryStatus
    truncated: bool = False
    heard: str | None = None
    error: str | None = None
    response_id: str | None = None
    kind: str = "message"
    phase: str | None = None
    call_id: str | None = None


@dataclass(frozen=True)
class VadSegment:
    """One stretch of user speech as the server's VAD saw it (audio ms) and when (local ``now``)."""

    item_id: str | None
    start_audio_ms: float | None
    started_at: float
    end_audio_ms: float | None = None
    ended_at: float | None = None
    too_short: bool = False
    barge_in: bool = False


@dataclass(frozen=True)
class PlaybackSpan:
    """One stretch of assistant audio playing; ``end_reason`` says how it ended."""

    response_id: str | None
    item_id: str | None
    started_at: float
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class ResponseInfo:
    """The current (or last) response: who asked for it, its status, and why it stopped."""

    id: str | None
    status: ResponseStatus
    reason: str | None = None
    origin: Literal["client", "server"] = "server"


def response_is_active(info: ResponseInfo | None) -> bool:
    """A response asked for or under way (not yet done, failed or cancelled)."""
    return info is not None and info.status in ("requested", "in_progress")


class MediaNow(NamedTuple):
    """The three facts of the view the mic pump reads on every frame (``Session.media_now``)."""

    mic_open: bool
    playing: bool
    response_active: bool


@dataclass(frozen=True)
class SessionView:
    """Everything the UI shows about the session, frozen at one moment.

    The runtime reads it too, instead of keeping its own copy of what the core knows:
    ``assistant_item`` names the assistant message the latest response speaks, and
    ``speaker_item`` the one whose audio plays now: WebRTC audio arrives without an item id, so
    the speaker files it under this one (the item of the response the server's output buffer
    streams, else the latest response's), ``server_playing`` is
    the server's ``output_audio_buffer`` saying it is streaming audio (WebRTC), and
    ``completed_responses`` counts the responses this session finished with ``completed``.
    ``usage`` holds tokens and the estimated cost (per response and totals), ``rate_limits`` the
    latest ``rate_limits.updated``, ``server_session`` what the server says it runs.
    """

    mode: str
    transport: str
    dialect: str
    transport_state: str
    mic: MicState
    mic_reason: MicReason | None
    barge_in: bool
    ptt_style: str
    ptt_open: bool
    ptt_captured_ms: float
    playing: bool
    response: ResponseInfo | None
    response_queued: bool
    entries: tuple[TranscriptEntry, ...]
    vad_segments: tuple[VadSegment, ...]
    playback_spans: tuple[PlaybackSpan, ...]
    notices: tuple[Notice, ...]
    version: int
    assistant_item: str | None = None
    speaker_item: str | None = None
    server_playing: bool = False
    completed_responses: int = 0
    usage: UsageView = field(default_factory=UsageView)
    rate_limits: tuple[RateLimit, ...] = ()
    server_session: ReportedSession | None = None
    tool_calls: tuple[ToolCallView, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    #: the local barge-in detector has paused the speaker: the user seems to be interrupting
    interrupting: bool = False
    #: when the server ends the session (unix seconds), where it says (GPT-Live's
    #: ``session.started``); the status bar counts down to it
    expires_at: int | None = None
    #: how full the model's context window is, 0..1, where the server reports it (GPT-Live's
    #: ``session.usage.updated``)
    context_ratio: float | None = None

    @property
    def running_tools(self) -> tuple[ToolCallView, ...]:
        """Calls running now (the status bar's running tool)."""
        return tuple(call for call in self.tool_calls if call.status == "running")

    @property
    def mic_label(self) -> str:
        """What the status bar says: ``live``, ``muted for playback``, ``ptt closed``, …"""
        return MIC_LABELS.get((self.mic, self.mic_reason), self.mic.value)

    @property
    def mic_open(self) -> bool:
        """Mic audio may go to the server now (the gate is live, for whatever reason)."""
        return self.mic is MicState.LIVE

    @property
    def response_active(self) -> bool:
        return response_is_active(self.response)
