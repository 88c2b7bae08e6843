"""The mic stream into user turns: VAD at 16 kHz over everything the client streams.

GPT-Live clients stream their mic continuously, silence included, and the model decides turns
itself. Here the server's VAD stands in for that judgement: speech starting is reported at once
(the engine stops the assistant when it is talking: a barge-in), and an utterance that ends
(``silence_ms`` of quiet) is handed over with its audio and its place on the input timeline
(milliseconds of mic audio received since the session started).

A barge-in needs more than a start: speech is *confirmed* once it has gone on for
:data:`CONFIRM_MS` after the VAD heard it, so a cough, a click or a burst of residual echo does
not stop the assistant (the model, not every sound, decides to yield; the Realtime core's user
guard is 300 ms too).

Decided: 500 ms of silence closes an utterance (the SDK's transcript grouper closes a turn
after 500 ms; the Realtime side's 200 ms splits espeak's slower sentences). The audio of the
last :data:`KEEP_S` seconds is kept, enough for any one utterance.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicechat.rtc import dsp
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger(__name__)

RATE = 16000
SILENCE_MS = 500
PREFIX_MS = 300
#: speech still going on this long after its detection is the user really talking (a barge-in)
CONFIRM_MS = 300
#: the VAD's probability that still counts as speech (its own hysteresis floor for 0.5)
STILL_SPEECH = 0.35
#: seconds of recent mic audio kept for the utterance being spoken
KEEP_S = 60


@dataclass(frozen=True)
class Utterance:
    """One stretch of user speech: where it sits on the input timeline and its audio."""

    start_ms: int
    end_ms: int
    audio16k: np.ndarray
    #: it went on past :data:`CONFIRM_MS` (else a short sound: a backchannel, a cough)
    confirmed: bool = True


class Listener:
    """Feed mic audio of any rate; hear about speech starting and utterances ending."""

    def __init__(
        self,
        kit: VoiceKit,
        *,
        on_speech_confirmed: Callable[[], Awaitable[None]],
        on_utterance: Callable[[Utterance], None],
    ) -> None:
        self._kit = kit
        self._on_speech_confirmed = on_speech_confirmed
        self._detected_at: int | None = None  # input position when the VAD heard speech
        self._confirmed = False
        #: speech starts heard, and how many went on to be confirmed (``/healthz``-like figures
        #: for tests and logs)
        self.detections = 0
        self.confirmations = 0
        self._on_utterance = on_utterance
        self._resamplers: dict[int, dsp.StreamResampler] = {}
        self._chunks: deque[tuple[int, np.ndarray]] = deque()  # (first sample, 16 kHz audio)
        self._fed = 0  # samples at 16 kHz
        self._vad: Any = None
        self._loading: asyncio.Task[None] | None = None
        self._speech_start_ms: int | None = None
        self._closed = False

    def close(self) -> None:
        """The session is over: the VAD's model goes back for the next session (idempotent;
        audio fed after is ignored)."""
        self._closed = True
        if self._loading is not None:
            self._loading.cancel()
        if self._vad is not None:
            self._vad.close()
            self._vad = None

    @property
    def position_ms(self) -> int:
        """Milliseconds of mic audio received so far (the input timeline)."""
        return self._fed * 1000 // RATE

    @property
    def in_speech(self) -> bool:
        return self._speech_start_ms is not None

    async def feed(self, pcm: np.ndarray, rate: int) -> None:
        if rate != RATE:
            resampler = self._resamplers.get(rate)
            if resampler is None:
                resampler = self._resamplers[rate] = dsp.StreamResampler(rate, RATE)
            pcm = resampler.process(pcm)
        pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
        if pcm.size == 0:
            return
        if self._closed:
            return
        self._keep(pcm)
        if self._vad is None:
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
            return  # kept: the VAD hears it once loaded
        await self._hear(pcm)

    async def _load(self) -> None:
        """Load the VAD off the loop without holding up the session (a burst of new sessions
        queues the loads, ~80 ms of CPU each), then let it hear what arrived meanwhile."""
        spec = {"type": "server_vad", "silence_duration_ms": SILENCE_MS,
                "prefix_padding_ms": PREFIX_MS}
        try:
            vad = await self._kit.load_vad(spec)
        except Exception as exc:  # not the client's doing: said in the log, the session goes on
            log.warning("server VAD unavailable for a session (%s: %s): no spoken turns",
                        type(exc).__name__, exc)
            return
        if self._closed:
            vad.close()
            return
        self._vad = vad
        # the VAD's clock is the input timeline's: it hears everything kept, from the start
        held = [chunk for _, chunk in self._chunks]
        await self._hear(np.concatenate(held) if held else np.zeros(0, np.int16))

    async def _hear(self, pcm: np.ndarray) -> None:
        for event in self._vad.feed(pcm):
            if event.kind == "speech_started":
                self._speech_start_ms = event.audio_ms
                self._detected_at = self.position_ms
                self._confirmed = False
                self.detections += 1
            elif self._speech_start_ms is not None:
                start_ms, self._speech_start_ms = self._speech_start_ms, None
                self._detected_at = None
                end_ms = max(event.audio_ms, start_ms + 1)
                self._on_utterance(Utterance(start_ms, end_ms, self._audio(start_ms, end_ms),
                                             self._confirmed))
        if (
            self._detected_at is not None
            and self.position_ms - self._detected_at >= CONFIRM_MS
            and self._vad.last_probability >= STILL_SPEECH
        ):
            self._detected_at = None  # once per utterance
            self._confirmed = True
            self.confirmations += 1
            await self._on_speech_confirmed()

    def _keep(self, pcm: np.ndarray) -> None:
        self._chunks.append((self._fed, pcm))
        self._fed += pcm.size
        while self._chunks and self._chunks[0][0] < self._fed - KEEP_S * RATE:
            self._chunks.popleft()

    def _audio(self, start_ms: int, end_ms: int) -> np.ndarray:
        first, last = start_ms * RATE // 1000, end_ms * RATE // 1000
        parts = [
            chunk[max(0, first - at): max(0, last - at)]
            for at, chunk in self._chunks
            if at + chunk.size > first and at < last
        ]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)
