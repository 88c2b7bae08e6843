"""GPT-Live media: the mic streamed for the whole session, the assistant's stream to the
speaker, and what the speaker really played reported to the core.

Full duplex (reference §4): the mic is never muted for playback. :class:`LiveMicPump` sends
every 20 ms frame while the core says ``live``, zeros at the same pace for the user's mute
(``silence``), nothing before ``session.started`` (``hold``); when a ``--mic FILE`` ends it
keeps streaming silence in real time, since the server's timeline runs on our audio and the end
of a file is not the end of the conversation.

The output stream never stops either (silence is exact zeros) and no event says the assistant
finished, so "speaking" comes from the player: :class:`LiveAudioIn` tags each chunk as speech or
silence by its peak (over WebRTC it also reports each frame to the core as
:class:`~voicechat.core.live.OutputArrived`: the core sees no audio events there, and needs the
stream's speech/silence edges to notice the model yield), and :class:`LivePlaybackMonitor`
reads the playback buffer's counters (the speech and silence "items" add up to the whole
stream, played) and reports
``PlaybackProgress(played_ms, audible)``. Audible is held for :data:`AUDIBLE_HOLD_S` across the
short gaps between words, so "speaking" does not flicker.

The pump's mic-then-silence loop and the monitor's polling are the ones Gemini runs too
(:mod:`voicechat.runtime.duplex.media`); the stream modes and the played counters are GPT-Live's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.core.live import OutputArrived, PlaybackProgress
from voicechat.runtime.duplex.media import SpeakingMonitor, StreamedMicPump
from voicechat.runtime.fanout import EventFanout

SPEECH = "live:speech"
SILENCE = "live:silence"
SILENT_PEAK = 16
AUDIBLE_HOLD_S = 0.3


class LiveMicPump(StreamedMicPump):
    """Mic frames (or zeros) to the link at real-time pace, whatever plays."""

    def __init__(self, source: MicSource | None, send: Callable[[Int16Array], bool],
                 events: EventFanout, meter: LevelMeter) -> None:
        super().__init__(source, events, meter)
        self._send = send
        self.mode = "hold"
        self.sent_frames = 0

    def set_mode(self, mode: str) -> None:
        self.mode = mode

    def _take(self, frame: Int16Array) -> None:
        """As the core's stream mode says: nothing (``hold``), the frame (``live``), or zeros
        (``silence``: the user's mute)."""
        if self.mode == "hold":
            return
        if self._send(frame if self.mode == "live" else self._zeros):
            self.sent_frames += 1


class LiveAudioIn:
    """The assistant's stream into the playback buffer, each chunk tagged speech or silence;
    ``report`` (WebRTC) hears of each chunk first, so the core counts it before it can play."""

    def __init__(self, playback: PlaybackBuffer,
                 report: Callable[[OutputArrived], None] | None = None) -> None:
        self._playback = playback
        self.report = report

    def take(self, pcm: Int16Array, _item_id: str | None) -> None:
        if pcm.size == 0:
            return
        audible = int(np.abs(pcm).max()) > SILENT_PEAK
        if self.report is not None:
            self.report(OutputArrived(pcm.size * 1000 / RATE, not audible))
        self._playback.push(pcm, SPEECH if audible else SILENCE)


class LivePlaybackMonitor(SpeakingMonitor):
    """Polls the playback buffer and reports what was really played to the core."""

    def __init__(self, playback: PlaybackBuffer, report: Callable[[PlaybackProgress], None],
                 events: EventFanout, clock: Callable[[], float]) -> None:
        super().__init__(playback, events)
        self._report = report
        self._clock = clock
        self._played_ms = -1
        self._audible_until = 0.0

    def poll(self) -> None:
        snap = self._playback.snapshot()
        now = self._clock()
        if snap.playing and snap.item_id == SPEECH:
            self._audible_until = now + AUDIBLE_HOLD_S
        changed = self._edge(now < self._audible_until)
        played = self._playback.played_ms(SPEECH) + self._playback.played_ms(SILENCE)
        if played != self._played_ms or changed:
            self._played_ms = played
            self._report(PlaybackProgress(float(played), self.speaking))

    def _busy(self) -> bool:
        """Also while anything plays: silence now may be speech again within the hold."""
        return self._playback.snapshot().playing or self.speaking
