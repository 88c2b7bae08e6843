"""User speech as the server's VAD reported it: the segments the UI's timeline draws.

Each ``speech_started`` opens a segment and the matching ``speech_stopped`` closes it, with the
server's audio times and the local ``now`` of both. A stop closes the newest open segment of the
same item (looking back a few, since a stray or repeated event must not close an old one); a stop
with no open segment is still recorded, so the timeline shows what the server said. A segment
shorter than ``short_ms`` (audio time, prefix padding included) is marked ``too_short``.
"""

from __future__ import annotations

from dataclasses import replace

from voicechat.core.history import History
from voicechat.core.view import VadSegment

MAX_SEGMENTS = 500
_LOOK_BACK = 7


class VadSegments:
    """Bounded history of VAD segments, newest last."""

    def __init__(self, short_ms: float, limit: int = MAX_SEGMENTS) -> None:
        self.short_ms = short_ms
        self._segments: History[VadSegment] = History(limit)

    @property
    def segments(self) -> tuple[VadSegment, ...]:
        return self._segments.frozen()

    def started(self, now: float, item_id: str | None, audio_start_ms: float | None) -> None:
        self._segments.append(VadSegment(item_id, audio_start_ms, now))

    def stopped(self, now: float, item_id: str | None, audio_end_ms: float | None) -> float | None:
        """Close the segment; returns its audio length when the server gave both ends."""
        segments = self._segments
        for index in range(len(segments) - 1, max(-1, len(segments) - 1 - _LOOK_BACK), -1):
            seg = segments[index]
            if seg.ended_at is None and (item_id is None or seg.item_id in (None, item_id)):
                duration: float | None = None
                if seg.start_audio_ms is not None and audio_end_ms is not None:
                    duration = audio_end_ms - seg.start_audio_ms
                too_short = duration is not None and duration < self.short_ms
                segments[index] = replace(
                    seg, end_audio_ms=audio_end_ms, ended_at=now, too_short=too_short
                )
                return duration
        segments.append(VadSegment(item_id, None, now, audio_end_ms, now))
        return None

    def mark_barge_in(self) -> None:
        """The open segment (if the newest is still open) interrupted the assistant."""
        segments = self._segments
        if len(segments) and segments[-1].ended_at is None:
            segments[-1] = replace(segments[-1], barge_in=True)
