"""The session's turn timeline: every answered turn timed as the core takes its events in.

Why in the core (issue 39): the core already dispatches every server event by type, sends
every client event and hears of playback, so the timeline (:mod:`voicechat.latency`) is fed
exactly the events it reads, with the core's own ``now``, and costs nothing on the rest (the
output deltas that are most of a session are handed on only while one can matter:
``bench/bench_core.py`` prints events/s with it on and off). Each result leaves as a
:class:`~voicechat.core.actions.LocalRecord` (``local.turn.latency``, ``local.turn.bargein``):
the event log keeps it beside the events it comes from, and the faces word it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voicechat.core.effects import Effects
from voicechat.latency.model import as_record
from voicechat.latency.timeline import (
    DELTAS,
    READS_IN,
    READS_LOCAL,
    READS_OUT,
    Result,
    TurnTimeline,
)

#: The server events the session hands on: the output deltas only while one can matter, the
#: server's speech_started only while an answer could be interrupted (most of a session's
#: events, and a speech_started per user turn, are then never handed on).
_ONSET = "input_audio_buffer.speech_started"
_WANTS = {(deltas, onset): frozenset(kind for kind in READS_IN
                                     if (deltas or kind not in DELTAS)
                                     and (onset or kind != _ONSET))
          for deltas in (False, True) for onset in (False, True)}


class TurnTiming:
    """Feeds the timeline from the session and queues its results as local records."""

    def __init__(self, out: Effects) -> None:
        self._timeline = TurnTimeline(plays_locally=True)  # the runtime reports playback
        self._out = out
        self.now = 0.0
        """The time of the call being handled (the session sets it first thing)."""
        self.wants: frozenset[str] = _WANTS[False, False]
        """The server event types to hand on now: :meth:`server` only for these."""

    def server(self, kind: str, event: Mapping[str, Any], now: float) -> None:
        """A server event of a type in :attr:`wants` (the session checked)."""
        results = self._timeline.server_event(now, kind, event)
        timeline = self._timeline
        self.wants = _WANTS[timeline.deltas_matter, timeline.onset_matters]
        if results:
            self._take(results)

    def sent(self, event: Mapping[str, Any]) -> None:
        """A client event the session sent (canonical, before it is rendered)."""
        if event.get("type") in READS_OUT:
            self._take(self._timeline.feed(self.now, "out", event))

    def local(self, event: Mapping[str, Any]) -> None:
        """A local fact (playback started or drained) or the core's own local record."""
        if event.get("type") in READS_LOCAL:
            self._take(self._timeline.feed(self.now, "local", event))

    def _take(self, results: Sequence[Result]) -> None:
        timeline = self._timeline
        self.wants = _WANTS[timeline.deltas_matter, timeline.onset_matters]
        for result in results:
            self._out.record(as_record(result))
