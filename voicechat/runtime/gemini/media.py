"""Gemini media at the edge: the mic resampled 48 → 16 kHz, the model's 24 kHz to the speaker.

:class:`GeminiMicPump` reads the mic's 20 ms frames (48 kHz, as every source gives them),
resamples them with the project's streaming resampler (:class:`voicechat.rtc.dsp.StreamResampler`,
no clicks at frame edges) to Gemini's native 16 kHz and hands 100 ms at a time to the core as
``MicAudio`` (the core drops it while no connection is ready). The mic is streamed for the whole
session: Gemini's own VAD finds the turns, and hears the user over the model. When a
``--mic FILE`` ends, silence goes on at the same pace, so the last words are followed by the
quiet the service's VAD needs to end the turn.

:class:`GeminiAudioOut` decodes ``inlineData`` (24 kHz) and resamples it to the speaker's 48 kHz;
:class:`GeminiPlaybackMonitor` says when the model is audible at our speaker (from what was
played, not what was received), for the end of a ``--no-ui`` run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from voicechat.audio.files import FRAME
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.core.gemini import MicAudio
from voicechat.protocol.gemini import names
from voicechat.protocol.gemini.events import ModelAudio
from voicechat.rtc import dsp
from voicechat.rtc.pacer import pacer_for
from voicechat.runtime.fanout import EventFanout

CHUNK_16K = names.INPUT_RATE // 10  # 100 ms per realtimeInput message
FRAME_S = FRAME / RATE
MONITOR_S = 0.05
ASSISTANT = "gemini:assistant"
#: a chunk whose peak is above this counts as the user speaking (a goAway waits for a pause);
#: a rough gate on purpose: a false "speech" only delays a reconnect by a moment
SPEECH_PEAK = 1000


class GeminiMicPump:
    """Mic frames (then silence) → 16 kHz → ``MicAudio`` every 100 ms."""

    def __init__(self, source: MicSource | None, feed: Callable[[MicAudio], None],
                 events: EventFanout, meter: LevelMeter) -> None:
        self.source = source
        self._feed = feed
        self._events = events
        self._meter = meter
        self.ended = source is None
        self.muted = False  # the user's mute: silence at the same pace (the model's VAD goes on)
        self.sent_chunks = 0
        self._down = dsp.StreamResampler(RATE, names.INPUT_RATE)
        self._pending = np.zeros(0, dtype=np.int16)
        self._zeros = np.zeros(FRAME, dtype=np.int16)

    async def run(self) -> None:
        from voicechat.audio.devices import AudioUnavailable

        if self.source is not None:
            try:
                async for frame in self.source.frames():
                    self._meter.update(frame)
                    self.push(self._zeros if self.muted else frame)
            except AudioUnavailable as exc:
                self._events.notice("error", f"microphone stopped: {exc}")
            self.ended = True
            self._meter.level = 0.0
            self._events.local({"type": "local.mic.ended"})
        await self._silence_forever()

    def push(self, frame48: Int16Array) -> None:
        pcm = self._down.process(frame48)
        self._pending = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        while self._pending.size >= CHUNK_16K:
            chunk, self._pending = self._pending[:CHUNK_16K], self._pending[CHUNK_16K:]
            self.sent_chunks += 1
            speech = int(np.abs(chunk).max()) > SPEECH_PEAK
            self._feed(MicAudio(dsp.pcm16_to_b64(chunk), speech=speech))

    async def _silence_forever(self) -> None:
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        due = loop.time()
        while True:
            due += FRAME_S
            await pacer.wait(due)
            self.push(self._zeros)
            if loop.time() - due > 1.0:  # the loop stalled: do not burst a backlog out
                due = loop.time()


class GeminiAudioOut:
    """The model's 24 kHz chunks into the 48 kHz playback buffer, one resampler per stream."""

    def __init__(self, playback: PlaybackBuffer) -> None:
        self._playback = playback
        self._rate = names.OUTPUT_RATE
        self._up = dsp.StreamResampler(self._rate, RATE)

    def play(self, audio: ModelAudio) -> None:
        if audio.rate != self._rate:
            self._rate = audio.rate
            self._up = dsp.StreamResampler(audio.rate, RATE)
        try:
            pcm = dsp.b64_to_pcm16(audio.data)
        except ValueError:
            return  # the core's notice names a malformed frame; nothing to play
        if pcm.size:
            self._playback.push(self._up.process(pcm), ASSISTANT)

    def flush(self) -> int:
        self._up = dsp.StreamResampler(self._rate, RATE)
        return self._playback.flush()


class GeminiPlaybackMonitor:
    """``speaking`` while the model's audio plays; ``local.playback.*`` at each edge."""

    def __init__(self, playback: PlaybackBuffer, events: EventFanout) -> None:
        self._playback = playback
        self._events = events
        self.speaking = False

    async def run(self) -> None:
        while True:
            await self._playback.wait_for_audio()
            self.poll()
            while self.speaking:
                await asyncio.sleep(MONITOR_S)
                self.poll()

    def poll(self) -> None:
        snap = self._playback.snapshot()
        speaking = snap.playing or snap.queued_ms > 0
        if speaking != self.speaking:
            self.speaking = speaking
            kind = "local.playback.started" if speaking else "local.playback.drained"
            self._events.local({"type": kind, "item_id": "assistant"})
