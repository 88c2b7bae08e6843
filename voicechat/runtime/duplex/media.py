"""The media both full-duplex families share: the mic streamed for the whole session, and
"speaking" read from our own playback.

Neither service wants the mic gated: its VAD hears the user over the model, and its timeline
runs on our audio. So :class:`StreamedMicPump` sends every 20 ms frame of the mic and, once the
mic ends (a ``--mic FILE`` played out, the device gone) or when there never was one, zeros at
the same pace on the shared clock: the last words are followed by the quiet the service needs
to end the turn, and the end of a file is not the end of the conversation. What one frame
becomes (resampled and chunked, or sent as it is, or held) is the family's
(:meth:`StreamedMicPump._take`).

Neither service says when the model's audio ends at our speaker, so :class:`SpeakingMonitor`
polls the playback buffer while it is busy and records each edge as ``local.playback.started``
or ``local.playback.drained``; how a family reads its playback is its own
(:meth:`SpeakingMonitor.poll`).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

import numpy as np

from voicechat.audio.files import FRAME
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.rtc.pacer import pacer_for
from voicechat.runtime.fanout import EventFanout

FRAME_S = FRAME / RATE
MONITOR_S = 0.05


class StreamedMicPump(ABC):
    """Mic frames, then zeros at the mic's pace, each handed to :meth:`_take`."""

    def __init__(self, source: MicSource | None, events: EventFanout, meter: LevelMeter) -> None:
        self.source = source
        self._events = events
        self._meter = meter
        self.ended = source is None
        self._zeros = np.zeros(FRAME, dtype=np.int16)

    async def run(self) -> None:
        from voicechat.audio.devices import AudioUnavailable

        if self.source is not None:
            try:
                async for frame in self.source.frames():
                    self._meter.update(frame)
                    self._take(frame)
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
            self._take(self._zeros)
            if loop.time() - due > 1.0:  # the loop stalled: do not burst a backlog out
                due = loop.time()

    @abstractmethod
    def _take(self, frame: Int16Array) -> None:
        """One 20 ms frame at 48 kHz, of the mic or of silence, on its way to the service."""


class SpeakingMonitor(ABC):
    """``speaking`` while the model's audio plays at our speaker; ``local.playback.*`` at each
    edge."""

    def __init__(self, playback: PlaybackBuffer, events: EventFanout) -> None:
        self._playback = playback
        self._events = events
        self.speaking = False

    async def run(self) -> None:
        while True:
            await self._playback.wait_for_audio()
            self.poll()
            while self._busy():
                await asyncio.sleep(MONITOR_S)
                self.poll()

    @abstractmethod
    def poll(self) -> None:
        """Read the playback buffer once (and :meth:`_edge` what it says)."""

    def _busy(self) -> bool:
        """Keep polling: audio may still change the reading."""
        return self.speaking

    def _edge(self, speaking: bool) -> bool:
        """Take ``speaking`` as the current reading; ``True`` (and recorded) if it changed."""
        if speaking == self.speaking:
            return False
        self.speaking = speaking
        kind = "local.playback.started" if speaking else "local.playback.drained"
        self._events.local({"type": kind, "item_id": "assistant"})
        return True
