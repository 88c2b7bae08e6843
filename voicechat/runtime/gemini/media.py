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

The pump's mic-then-silence loop and the monitor's polling are the ones GPT-Live runs too
(:mod:`voicechat.runtime.duplex.media`); the 16 kHz chunks and the 24 kHz stream are Gemini's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import MicSource
from voicechat.core.gemini import MicAudio
from voicechat.protocol.gemini import names
from voicechat.protocol.gemini.events import ModelAudio
from voicechat.rtc import dsp
from voicechat.runtime.duplex.media import SpeakingMonitor, StreamedMicPump
from voicechat.runtime.fanout import EventFanout

CHUNK_16K = names.INPUT_RATE // 10  # 100 ms per realtimeInput message
ASSISTANT = "gemini:assistant"
#: a chunk whose peak is above this counts as the user speaking (a goAway waits for a pause);
#: a rough gate on purpose: a false "speech" only delays a reconnect by a moment
SPEECH_PEAK = 1000


class GeminiMicPump(StreamedMicPump):
    """Mic frames (then silence) → 16 kHz → ``MicAudio`` every 100 ms."""

    def __init__(self, source: MicSource | None, feed: Callable[[MicAudio], None],
                 events: EventFanout, meter: LevelMeter) -> None:
        super().__init__(source, events, meter)
        self._feed = feed
        self.muted = False  # the user's mute: silence at the same pace (the model's VAD goes on)
        self.sent_chunks = 0
        self._down = dsp.StreamResampler(RATE, names.INPUT_RATE)
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, frame48: Int16Array) -> None:
        pcm = self._down.process(frame48)
        self._pending = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        while self._pending.size >= CHUNK_16K:
            chunk, self._pending = self._pending[:CHUNK_16K], self._pending[CHUNK_16K:]
            self.sent_chunks += 1
            speech = int(np.abs(chunk).max()) > SPEECH_PEAK
            self._feed(MicAudio(dsp.pcm16_to_b64(chunk), speech=speech))

    def _take(self, frame: Int16Array) -> None:
        """The user's mute streams silence: the service's VAD goes on hearing a pause."""
        self.push(self._zeros if self.muted else frame)


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


class GeminiPlaybackMonitor(SpeakingMonitor):
    """``speaking`` while the model's audio plays or waits to; ``local.playback.*`` at each
    edge."""

    def poll(self) -> None:
        snap = self._playback.snapshot()
        self._edge(snap.playing or snap.queued_ms > 0)
