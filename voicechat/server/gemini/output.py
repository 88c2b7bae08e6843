"""The model's side out: 24 kHz audio as ``modelTurn`` ``inlineData``, paced at real time, and
the output transcript as ``outputTranscription`` fragments.

GPT-Live's :class:`~voicechat.server.live.speaker.Speaker` does the speaking (TTS off the loop,
100 ms chunks, each word's transcript sent as the audio carrying it leaves); it is told where
audio goes by an output port and reports transcript fragments as GPT-Live events, which
:class:`TranscriptOut` turns into Gemini's. The port keeps the audio at most
``audio_lead_ms`` ahead of real time, so an interruption stops it within a chunk or two, as
the real service's does. Between turns nothing is sent (Gemini, unlike GPT-Live, does not
stream silence).

A TEXT session (``responseModalities: ["TEXT"]``) gets no audio: its words go out as
``modelTurn`` text parts instead (see :mod:`voicechat.server.gemini.turns`).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from voicechat.protocol.gemini import names, server_messages
from voicechat.protocol.live import names as live_names

Send = Callable[[dict[str, Any]], None]


class AudioOut:
    """An output port (:class:`~voicechat.server.live.speaker.OutputPort`) for Gemini frames."""

    def __init__(self, send: Send, lead_ms: int) -> None:
        self._send = send
        self._lead_s = lead_ms / 1000
        self._due: float | None = None  # when the audio sent so far has played
        #: seconds of audio sent (usage: audio tokens)
        self.sent_s = 0.0

    async def play(self, pcm24k: np.ndarray, start_ms: int) -> None:
        now = time.monotonic()
        if self._due is None or self._due < now:
            self._due = now
        data = base64.b64encode(np.asarray(pcm24k, dtype="<i2").tobytes()).decode("ascii")
        self._send(server_messages.model_audio(data, names.OUTPUT_RATE))
        seconds = pcm24k.size / names.OUTPUT_RATE
        self.sent_s += seconds
        self._due += seconds
        delay = self._due - time.monotonic() - self._lead_s
        if delay > 0:
            await asyncio.sleep(delay)

    def clear(self) -> None:
        """An interruption: the client flushes what it holds; nothing is queued here."""
        self._due = None

    def idle(self, start_ms: int) -> None:
        """Gemini sends nothing between turns."""


class TranscriptOut:
    """The speaker's transcript fragments as ``outputTranscription`` (when the setup asked for
    it), kept for the conversation's history either way by the speaker itself."""

    def __init__(self, send: Send, enabled: bool) -> None:
        self._send = send
        self.enabled = enabled

    def __call__(self, event: dict[str, Any]) -> None:
        if self.enabled and event.get("type") == live_names.OUTPUT_TRANSCRIPT_DELTA:
            self._send(server_messages.output_transcription(str(event["delta"])))
