"""What a :class:`~voicechat.core.session.Session` reports of itself, read from its parts.

Three readings: :func:`snapshot`, the whole frozen view every face renders (``Session.view``
caches it until something changes), :func:`media_now`, the three facts the mic pump asks of
every 20 ms frame, and :func:`audio_cut`, which the speaker's gate asks of every incoming frame.
While an answer streams nearly every event changes the session, so building the whole view per
frame cost 5 % of the load engine's CPU at 100 callers; the per-frame readings read the same
facts by the same rules without it.
"""

from __future__ import annotations

from typing import Protocol

from voicechat.core.assistant_audio import AssistantAudio
from voicechat.core.barge_in import BargeIn
from voicechat.core.effects import Effects
from voicechat.core.mic import MicGate, MicState
from voicechat.core.playback import Playback
from voicechat.core.policy import SessionPolicy
from voicechat.core.ptt import PushToTalk
from voicechat.core.response_flow import ResponseFlow
from voicechat.core.segments import VadSegments
from voicechat.core.service import ServiceWatch
from voicechat.core.speaker_pause import SpeakerPause
from voicechat.core.tool_calls import ToolCalls
from voicechat.core.transcript import Transcript
from voicechat.core.transcript_feed import TranscriptFeed
from voicechat.core.view import MediaNow, SessionView, response_is_active


class Session(Protocol):
    """The parts of a session these readings read (``core.session.Session`` has them; named
    here rather than imported, so the session's module and this one do not import each
    other)."""

    @property
    def policy(self) -> SessionPolicy: ...
    @property
    def _gate(self) -> MicGate: ...
    @property
    def _ptt(self) -> PushToTalk: ...
    @property
    def _barge_in(self) -> BargeIn: ...
    @property
    def _local(self) -> SpeakerPause: ...
    @property
    def _playback(self) -> Playback: ...
    @property
    def _audio(self) -> AssistantAudio: ...
    @property
    def _responses(self) -> ResponseFlow: ...
    @property
    def _transcript(self) -> Transcript: ...
    @property
    def _segments(self) -> VadSegments: ...
    @property
    def _out(self) -> Effects: ...
    @property
    def _feed(self) -> TranscriptFeed: ...
    @property
    def _service(self) -> ServiceWatch: ...
    @property
    def _tools(self) -> ToolCalls: ...
    @property
    def _transport_state(self) -> str: ...
    @property
    def _version(self) -> int: ...


def media_now(s: Session) -> MediaNow:
    """The view's ``mic_open``, ``playing`` and ``response_active``, without building it."""
    mic, _ = s._gate.state(s._ptt.key_open)
    return MediaNow(
        mic_open=mic is MicState.LIVE,
        playing=s._playback.playing,
        response_active=response_is_active(s._responses.tracker.info),
    )


def audio_cut(s: Session, item_id: str | None) -> bool:
    """Model audio filed under ``item_id`` belongs to an answer this client cut or cancelled.

    Tagged audio (a WebSocket delta) names its item. Untagged audio (WebRTC's RTP) belongs to
    the answer the server's output buffer streams, where it says; else to the latest response,
    or, while that one is only asked for, to the latest assistant item. A cut answer's audio
    can arrive long after the cut: what aiortc's jitter buffer held, on a loaded machine (a
    test run saw playback start again 200 ms after the flush), or the deltas that crossed the
    cancel."""
    audio = s._audio
    latest = s._responses.tracker.info
    latest_cut = latest is not None and audio.response_cut(latest.id)
    if item_id is not None:
        # an item whose audio nothing announced yet (no content part, no delta counted: the
        # transport hands the audio over before the core reads its event) is the latest
        # response's when the feed names it so
        return audio.item_cut(item_id) or (latest_cut and item_id == s._feed.assistant_item)
    if audio.streaming_response is not None:
        return audio.response_cut(audio.streaming_response)
    if latest is not None and latest.id is not None:
        return latest_cut
    return audio.item_cut(s._feed.assistant_item)


def snapshot(s: Session) -> SessionView:
    """The view of ``s`` now: what each part reports, frozen (read by :attr:`Session.view`)."""
    mic, reason = s._gate.state(s._ptt.key_open)
    return SessionView(
        mode=s.policy.mode,
        transport=s.policy.transport,
        dialect=s.policy.dialect.value,
        transport_state=s._transport_state,
        mic=mic,
        mic_reason=reason,
        barge_in=s._barge_in.enabled,
        interrupting=s._local.interrupting,
        ptt_style=s.policy.ptt_style,
        ptt_open=s._ptt.is_open,
        ptt_captured_ms=s._ptt.captured_ms,
        playing=s._playback.playing,
        response=s._responses.tracker.info,
        response_queued=s._responses.tracker.queued,
        entries=s._transcript.snapshot(),
        vad_segments=s._segments.segments,
        playback_spans=s._playback.spans,
        notices=s._out.notices,
        version=s._version,
        assistant_item=s._feed.assistant_item,
        speaker_item=s._audio.streaming_item or s._feed.assistant_item,
        server_playing="server" in s._playback.sources,
        completed_responses=s._responses.completed,
        usage=s._service.usage.view,
        rate_limits=s._service.usage.rate_limits,
        server_session=s._service.reported,
        expires_at=s._service.reported.expires_at if s._service.reported else None,
        tool_calls=s._tools.views,
        tools=s._tools.tools,
    )
