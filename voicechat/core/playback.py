"""The playback state machine: is assistant audio playing, which item, since when.

Playback is reported by two sources: the server's ``output_audio_buffer.*`` (WebRTC only) and the
runtime's ``PlaybackStarted``/``PlaybackDrained`` (the speaker). It starts when either starts and
ends only when both have ended, so a momentarily empty local queue cannot reopen the mic while the
server is still streaming an answer, nor a server ``stopped`` while the speaker still plays the
jitter buffer's tail.

States: ``IDLE`` and ``PLAYING`` (at least one source plays). Inputs: a source started or stopped,
progress naming the item heard, and a forced end (barge-in, the mic gate's fallback, a lost
connection) that forgets every source at once. Outputs are the return values — whether playback
began or ended — and the spans the UI draws on its timeline. Time is passed in; the machine knows
nothing of the mic gate or of responses: the session wires those to its transitions.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Literal

from voicechat.core.history import History
from voicechat.core.view import PlaybackSpan

Source = Literal["server", "local"]
MAX_SPANS = 500


class PlaybackState(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"


class Stop(StrEnum):
    """What a source stopping did to playback."""

    CONTINUES = "continues"  # the other source still plays
    ENDED = "ended"  # that was the last source: playback is over
    IDLE = "idle"  # nothing was playing (a repeated or stray end signal)


class Playback:
    """Who plays assistant audio now, and the history of what played."""

    def __init__(self, limit: int = MAX_SPANS) -> None:
        self._sources: set[Source] = set()
        self.item_id: str | None = None
        self.response_id: str | None = None
        self.started_at: float | None = None
        #: how long the item now playing was heard in its earlier spans (seconds): an answer
        #: whose audio ran dry for a moment (an underrun on a loaded machine) and came back
        self._heard_before = 0.0
        self._spans: History[PlaybackSpan] = History(limit)

    @property
    def state(self) -> PlaybackState:
        return PlaybackState.PLAYING if self._sources else PlaybackState.IDLE

    @property
    def playing(self) -> bool:
        return bool(self._sources)

    @property
    def sources(self) -> frozenset[Source]:
        return frozenset(self._sources)

    @property
    def playing_since(self) -> float | None:
        """When the item now playing began to be heard, its earlier spans counted (``None``
        while idle): ``now - playing_since`` is how long the user has heard it. An underrun
        mid-answer restarted it: a fresh-clone run's caller, 1.03 s into an answer that had
        run dry for 0.2 s after 0.65 s, was "speech ignored: the assistant had played only
        378 ms (self-interruption guard)", and the answer played on to its end (issue 79)."""
        if not self._sources or self.started_at is None:
            return None
        return self.started_at - self._heard_before

    @property
    def spans(self) -> tuple[PlaybackSpan, ...]:
        return self._spans.frozen()

    # --- inputs ----------------------------------------------------------------------------

    def start(
        self, now: float, source: Source, item_id: str | None, response_id: str | None
    ) -> bool:
        """A source started; ``True`` when playback began (a new span), ``False`` if it was on.

        While playing, a start only updates the item being played (when it names one).
        """
        was_playing = self.playing
        self._sources.add(source)
        if was_playing:
            if item_id is not None:
                self.item_id = item_id
            return False
        heard_before = 0.0  # the same item coming back after a gap: its earlier spans count
        last = self._spans[-1] if len(self._spans) else None
        if item_id is not None and last is not None and last.item_id == item_id \
                and last.ended_at is not None:
            heard_before = self._heard_before + (last.ended_at - last.started_at)
        self._heard_before = heard_before
        self.item_id = item_id
        self.response_id = response_id
        self.started_at = now
        self._spans.append(PlaybackSpan(response_id, item_id, now))
        return True

    def heard(self, item_id: str) -> None:
        """Progress says ``item_id`` is what the speaker plays now (ignored while idle)."""
        if self.playing:
            self.item_id = item_id

    def stop(self, now: float, source: Source, reason: str) -> Stop:
        """One source stopped; playback ends when neither the server nor the speaker plays."""
        was_playing = self.playing
        self._sources.discard(source)
        if self._sources:
            return Stop.CONTINUES
        if not was_playing:
            return Stop.IDLE
        self._close_span(now, reason)
        return Stop.ENDED

    def end(self, now: float, reason: str) -> bool:
        """Forget all sources (``interrupted``, ``fallback``, ``closed``); ``True`` if it played."""
        was_playing = self.playing
        self._sources.clear()
        if was_playing:
            self._close_span(now, reason)
        return was_playing

    def _close_span(self, now: float, reason: str) -> None:
        spans = self._spans
        if len(spans) and spans[-1].ended_at is None:
            spans[-1] = replace(spans[-1], ended_at=now, end_reason=reason)
