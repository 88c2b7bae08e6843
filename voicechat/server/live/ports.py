"""Where the assistant's audio goes: WebSocket deltas or the WebRTC track, paced in real time.

Between utterances the stream goes on: GPT-Live sends output audio continuously, silence as
exact zeros (reference §3.4 and pitfall 9), so a client must tell speech from the stream by
its own playback or energy, never by deltas arriving. The WebSocket port sends 100 ms of zeros
whenever nothing else is due; the WebRTC track pads with silence by itself.

Both stay at most :data:`LEAD_MS` ahead of real time (the real service sends ~100 ms chunks
every ~100–130 ms), so a barge-in stops the audio within a chunk or two of the user starting
to speak. Each chunk is also reflected to sideband observers with its timeline position.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from voicechat.protocol.live import names
from voicechat.rtc import dsp
from voicechat.rtc.rates import SAMPLE_RATE as TRACK_RATE
from voicechat.server.live.audio import TTS_RATE, encode_output

if TYPE_CHECKING:
    from voicechat.rtc.tracks import PacedAudioTrack  # aiortc: loaded for WebRTC only

LEAD_MS = 200
Emit = Callable[[dict[str, Any]], None]
Reflect = Callable[[str, int, int], None]


def _ms(pcm: np.ndarray) -> int:
    return pcm.size * 1000 // TTS_RATE


class DeltaPort:
    """Primary WebSocket: ``session.output_audio.delta`` in the session's format."""

    def __init__(self) -> None:
        self.emit: Emit | None = None
        self.reflect: Reflect | None = None
        self.format: Callable[[], Mapping[str, Any]] = lambda: names.DEFAULT_AUDIO_FORMAT
        self._due: float | None = None  # when the audio sent so far has played

    async def play(self, pcm24k: np.ndarray, start_ms: int) -> None:
        now = time.monotonic()
        if self._due is None or self._due < now:
            self._due = now
        if self.emit is not None:
            self.emit({"type": names.OUTPUT_AUDIO_DELTA,
                       "delta": encode_output(pcm24k, self.format())})
        if self.reflect is not None:
            self.reflect(dsp.pcm16_to_b64(pcm24k), start_ms, start_ms + _ms(pcm24k))
        self._due += pcm24k.size / TTS_RATE
        delay = self._due - time.monotonic() - LEAD_MS / 1000
        if delay > 0:
            await asyncio.sleep(delay)

    def clear(self) -> None:
        """The client plays what it received; nothing is held back here."""
        self._due = None

    def idle(self, start_ms: int) -> None:
        now = time.monotonic()
        if self._due is not None and self._due > now + 0.05:
            return  # speech (or the last silence) still covers the next chunk
        silence = np.zeros(TTS_RATE // 10, np.int16)
        if self.emit is not None:
            self.emit({"type": names.OUTPUT_AUDIO_DELTA,
                       "delta": encode_output(silence, self.format())})
        if self.reflect is not None:
            self.reflect(dsp.pcm16_to_b64(silence), start_ms, start_ms + 100)
        self._due = max(self._due or now, now) + 0.1


class TrackPort:
    """WebRTC: Opus on the call's paced track; a barge-in drops the unplayed audio."""

    def __init__(self, track: PacedAudioTrack) -> None:
        self.track = track
        self.reflect: Reflect | None = None

    async def play(self, pcm24k: np.ndarray, start_ms: int) -> None:
        self.track.push(dsp.resample(pcm24k, TTS_RATE, TRACK_RATE))
        if self.reflect is not None:
            self.reflect(dsp.pcm16_to_b64(pcm24k), start_ms, start_ms + _ms(pcm24k))
        lead = TRACK_RATE * LEAD_MS // 1000
        while self.track.buffered_samples > lead:
            await asyncio.sleep(0.02)

    def clear(self) -> None:
        self.track.clear()

    def idle(self, start_ms: int) -> None:
        """The track pads with silence frames by itself."""
