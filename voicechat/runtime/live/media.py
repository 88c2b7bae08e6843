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
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from voicechat.audio.files import FRAME
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.core.live import OutputArrived, PlaybackProgress
from voicechat.rtc.pacer import pacer_for
from voicechat.runtime.fanout import EventFanout

SPEECH = "live:speech"
SILENCE = "live:silence"
SILENT_PEAK = 16
MONITOR_S = 0.05
AUDIBLE_HOLD_S = 0.3
FRAME_S = FRAME / 48000


class LiveMicPump:
    """Mic frames (or zeros) to the link at real-time pace, whatever plays."""

    def __init__(self, source: MicSource | None, send: Callable[[Int16Array], bool],
                 events: EventFanout, meter: LevelMeter) -> None:
        self.source = source
        self._send = send
        self._events = events
        self._meter = meter
        self.mode = "hold"
        self.ended = source is None
        self.sent_frames = 0
        self._zeros = np.zeros(FRAME, dtype=np.int16)

    def set_mode(self, mode: str) -> None:
        self.mode = mode

    async def run(self) -> None:
        from voicechat.audio.devices import AudioUnavailable

        if self.source is not None:
            try:
                async for frame in self.source.frames():
                    self._meter.update(frame)
                    self._push(frame)
            except AudioUnavailable as exc:
                self._events.notice("error", f"microphone stopped: {exc}")
            self.ended = True
            self._meter.level = 0.0
            self._events.local({"type": "local.mic.ended"})
        await self._silence_forever()

    async def _silence_forever(self) -> None:
        """No mic (none, or its file ended): zeros at the mic's pace, on the shared clock."""
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        due = loop.time()
        while True:
            due += FRAME_S
            await pacer.wait(due)
            self._push(self._zeros)
            if loop.time() - due > 1.0:  # the loop stalled: do not burst a backlog out
                due = loop.time()

    def _push(self, frame: Int16Array) -> None:
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


class LivePlaybackMonitor:
    """Polls the playback buffer and reports what was really played to the core."""

    def __init__(self, playback: PlaybackBuffer, report: Callable[[PlaybackProgress], None],
                 events: EventFanout, clock: Callable[[], float]) -> None:
        self._playback = playback
        self._report = report
        self._events = events
        self._clock = clock
        self._played_ms = -1
        self._audible_until = 0.0
        self.speaking = False

    async def run(self) -> None:
        while True:
            await self._playback.wait_for_audio()
            self.poll()
            while self._playback.snapshot().playing or self.speaking:
                await asyncio.sleep(MONITOR_S)
                self.poll()

    def poll(self) -> None:
        snap = self._playback.snapshot()
        now = self._clock()
        if snap.playing and snap.item_id == SPEECH:
            self._audible_until = now + AUDIBLE_HOLD_S
        speaking = now < self._audible_until
        changed = speaking != self.speaking
        if changed:
            self.speaking = speaking
            kind = "local.playback.started" if speaking else "local.playback.drained"
            self._events.local({"type": kind, "item_id": "assistant"})
        played = self._playback.played_ms(SPEECH) + self._playback.played_ms(SILENCE)
        if played != self._played_ms or changed:
            self._played_ms = played
            self._report(PlaybackProgress(float(played), speaking))
