"""The assistant's speech: synthesis, real-time paced audio, and its timed transcript.

GPT-Live streams output audio in ~100 ms chunks at about real time (reference §3.4), not in a
burst, and has no "done" event: so the server knows what has not been heard yet and a barge-in
stops the audio at once (cancelling :meth:`Speaker.speak`). The transcript of each sentence goes
out word by word as the audio carrying the word's start leaves, each fragment timed on the
session timeline (``start_ms``/``end_ms``: word lengths shared out by their characters over the
sentence's audio, decided, as the synthesiser reports no word timings).

Where audio goes is an :class:`OutputPort`: ``session.output_audio.delta`` events on a
WebSocket, the RTP track on WebRTC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from voicechat.protocol.live import names
from voicechat.server.voice.reply import word_chunks
from voicechat.server.voicekit import VoiceKit

TTS_RATE = 24000
CHUNK_MS = 100
Emit = Callable[[dict[str, Any]], None]


class OutputPort(Protocol):
    """Where the assistant's audio goes, paced in real time by the port."""

    async def play(self, pcm24k: np.ndarray, start_ms: int) -> None:
        """Send one chunk (it starts at ``start_ms`` on the session timeline) and return when
        the next one is due."""
        ...

    def clear(self) -> None:
        """A barge-in: drop audio queued but not yet played."""
        ...

    def idle(self, start_ms: int) -> None:
        """Nothing to say for the next 100 ms: keep the stream going (the real service streams
        silence as exact zeros), unless speech is queued."""
        ...


class Speaker:
    """Speaks text on one session's output port, one sentence at a time."""

    def __init__(self, kit: VoiceKit, port: OutputPort, emit: Emit,
                 timeline: Callable[[], int]) -> None:
        self._kit = kit
        self.port = port
        self._emit = emit
        self._timeline = timeline
        self._cursor_ms = 0  # where the last audio ended on the timeline
        #: the words of the sentence being spoken that have gone out (for the history)
        self.spoken: list[str] = []
        self.speaking = False
        self._said_before = False

    async def speak(self, text: str) -> None:
        """Synthesise and play ``text``; cancelling stops it (the port drops what is queued)."""
        if not text.strip():
            return
        loop = asyncio.get_running_loop()
        pcm = await loop.run_in_executor(None, self._kit.synthesize, text)
        if pcm.size == 0:
            return
        words = word_chunks(text.strip())
        if self._said_before:  # the stream concatenates verbatim: sentences carry their space
            words[0] = " " + words[0]
        self._said_before = True
        duration_ms = pcm.size * 1000 // TTS_RATE
        starts = _word_starts(words, duration_ms)
        begin = max(self._timeline(), self._cursor_ms)
        self._cursor_ms = begin + duration_ms
        step = TTS_RATE * CHUNK_MS // 1000
        next_word = 0
        self.speaking = True
        try:
            for offset in range(0, pcm.size, step):
                chunk_ms = offset * 1000 // TTS_RATE
                while next_word < len(words) and starts[next_word] < chunk_ms + CHUNK_MS:
                    end = starts[next_word + 1] if next_word + 1 < len(words) else duration_ms
                    self._emit({
                        "type": names.OUTPUT_TRANSCRIPT_DELTA,
                        "delta": words[next_word],
                        "start_ms": begin + starts[next_word],
                        "end_ms": begin + max(end, starts[next_word] + 1),
                    })
                    self.spoken.append(words[next_word])
                    next_word += 1
                await self.port.play(pcm[offset: offset + step], begin + chunk_ms)
        except asyncio.CancelledError:
            self.port.clear()
            self._cursor_ms = self._timeline()
            raise
        finally:
            self.speaking = False

    def take_spoken(self) -> str:
        """What has been said since the last call (for the conversation's history)."""
        text, self.spoken = "".join(self.spoken).strip(), []
        return text


def _word_starts(words: list[str], duration_ms: int) -> list[int]:
    """Each word's start within the sentence, sharing ``duration_ms`` by character count."""
    total = sum(len(w) for w in words) or 1
    starts, at = [], 0
    for word in words:
        starts.append(at * duration_ms // total)
        at += len(word)
    return starts
