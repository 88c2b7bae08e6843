"""What both full-duplex families' TUI snapshots share (:class:`~voicechat.core.view.SessionView`,
the one snapshot type every widget reads).

A family translates its core's view into the TUI's (its turns as entries, its mic and its calls);
around that translation the two are alike: the snapshot is rebuilt only when what it is built
from changed (the UI asks many times a second), the assistant's spans on the VAD timeline come
from our playback (neither service says when its audio ends), the status bar's response is the
assistant speaking or how its last turn ended (neither has response objects), and full duplex
fixes the rest: no barge-in switch, no push-to-talk, nothing queued.
"""

from __future__ import annotations

from collections.abc import Callable

from voicechat.core.actions import Notice
from voicechat.core.mic import MicReason, MicState
from voicechat.core.tool_specs import ToolCallView
from voicechat.core.view import (
    PlaybackSpan,
    ResponseInfo,
    SessionView,
    TranscriptEntry,
    VadSegment,
)

#: assistant spans kept for the timeline (it shows the last minute or so)
MAX_SPANS = 50


def answer_state(speaking: bool, last_interrupted: bool | None) -> ResponseInfo | None:
    """The status bar's response: the assistant speaking (from playback), else how its last
    turn ended (``last_interrupted``; ``None``: it has not spoken yet). Neither family has
    response objects, so this is the closest honest reading."""
    if speaking:
        return ResponseInfo("assistant", "in_progress")
    if last_interrupted is None:
        return None
    if last_interrupted:
        return ResponseInfo("assistant", "incomplete", "interrupted")
    return ResponseInfo("assistant", "completed")


class DuplexSessionView:
    """The cache, the version and the playback spans of a family's snapshot builder; the family
    asks :meth:`_cached` first and builds with :meth:`_snapshot` when that says nothing."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last: object = None
        self._view: SessionView | None = None
        self._version = 0
        self._spans: list[PlaybackSpan] = []

    def _cached(self, key: object) -> SessionView | None:
        """The last snapshot if it was built from ``key``; else ``None``, and the next one is
        built from ``key`` under a new version."""
        if self._view is not None and self._last == key:
            return self._view
        self._last = key
        self._version += 1
        return None

    def _playback_span(self, speaking: bool) -> None:
        """The timeline's assistant spans, from our playback."""
        now = self._clock()
        open_span = self._spans and self._spans[-1].ended_at is None
        if speaking and not open_span:
            self._spans.append(PlaybackSpan(None, "assistant", now))
            del self._spans[:-MAX_SPANS]
        elif not speaking and open_span:
            last = self._spans[-1]
            self._spans[-1] = PlaybackSpan(None, "assistant", last.started_at, now, "drained")

    def _snapshot(self, *, mode: str, transport: str, transport_state: str, mic: MicState,
                  mic_reason: MicReason | None, speaking: bool, response: ResponseInfo | None,
                  entries: tuple[TranscriptEntry, ...], vad_segments: tuple[VadSegment, ...],
                  notices: tuple[Notice, ...], tool_calls: tuple[ToolCallView, ...],
                  expires_at: int | None = None,
                  context_ratio: float | None = None) -> SessionView:
        """The new snapshot (kept for :meth:`_cached`); the mode names the dialect too."""
        self._view = SessionView(
            mode=mode, transport=transport, dialect=mode,
            transport_state=transport_state, mic=mic, mic_reason=mic_reason, barge_in=False,
            ptt_style="toggle", ptt_open=False, ptt_captured_ms=0.0, playing=speaking,
            response=response, response_queued=False, entries=entries,
            vad_segments=vad_segments, playback_spans=tuple(self._spans), notices=notices,
            version=self._version, tool_calls=tool_calls, expires_at=expires_at,
            context_ratio=context_ratio)
        return self._view
