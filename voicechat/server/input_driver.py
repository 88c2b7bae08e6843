"""The asyncio side of input audio: VAD models built off the loop, transcription tasks, the
idle timer.

:class:`InputAudio` and :class:`TranscriptionEvents` decide what each step means; this driver
only schedules them and tells the engine (a :class:`TurnListener`) when the user started
speaking or finished a turn — the engine decides whether that interrupts or starts a response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from voicechat.protocol.errors import ProtocolError
from voicechat.server.input_audio import InputAudio, SpeechStarted, Turn, decode_append
from voicechat.server.sessions import SessionState
from voicechat.server.transcription import TranscriptionEvents
from voicechat.server.voicekit import VoiceKit


class TurnListener(Protocol):
    """Who hears about user turns (the engine, which owns the responses)."""

    async def on_speech_started(self, interrupt: bool) -> None: ...

    def on_turn(self, turn: Turn) -> None: ...

    def responding(self) -> bool: ...


class InputDriver:
    """Feeds input audio through :class:`InputAudio` and runs what it asks for."""

    def __init__(
        self,
        *,
        session: SessionState,
        audio: InputAudio,
        transcription: TranscriptionEvents,
        kit: VoiceKit,
        listener: TurnListener,
    ) -> None:
        self._session = session
        self.audio = audio
        self._transcription = transcription
        self._kit = kit
        self._listener = listener
        self._transcripts: dict[str, asyncio.Task[str]] = {}
        self._idle: asyncio.Task[None] | None = None
        self.closed = False

    # --- audio in -----------------------------------------------------------------------------

    async def append(self, event: Mapping[str, Any]) -> ProtocolError | None:
        """``input_audio_buffer.append``."""
        decoded = decode_append(event, self._session)
        if isinstance(decoded, ProtocolError):
            return decoded
        await self.feed(*decoded)
        return None

    async def feed(self, pcm: np.ndarray, rate: int) -> None:
        """Input audio at any rate (mono int16); drives server VAD when turn detection is on."""
        if self.closed:
            return
        pcm = self.audio.append(pcm, rate)
        if pcm.size == 0:
            return
        change = self.audio.vad_change()
        if change is not None:
            vad: Any = None
            if change.turn_detection:
                # loading a VAD model takes ~100 ms but releases the GIL: keep it off the loop
                loop = asyncio.get_running_loop()
                vad = await loop.run_in_executor(None, self._kit.make_vad, change.turn_detection)
            if not self.audio.install_vad(change, vad, chunk_ms=pcm.size // 16):
                return  # the session changed again meanwhile; the next chunk rebuilds
        vad = self.audio.vad
        if vad is None or self.closed:
            return
        for ev in vad.feed(pcm):
            outcome = self.audio.on_vad_event(ev.kind, ev.audio_ms)
            if isinstance(outcome, SpeechStarted):
                self.cancel_idle_timeout()
                await self._listener.on_speech_started(outcome.interrupt)
            elif isinstance(outcome, Turn):
                self._transcribe_later(outcome)
                self._listener.on_turn(outcome)
        self.audio.after_feed()

    def commit(self) -> ProtocolError | None:
        """``input_audio_buffer.commit``."""
        self.cancel_idle_timeout()
        turn = self.audio.commit()
        if isinstance(turn, ProtocolError):
            return turn
        self._transcribe_later(turn)
        return None

    # --- transcription ------------------------------------------------------------------------

    def _transcribe_later(self, turn: Turn) -> None:
        item_id = turn.item_id
        task = asyncio.ensure_future(self._transcribe(item_id, turn.audio))
        self._transcripts[item_id] = task
        task.add_done_callback(lambda _t: self._transcripts.pop(item_id, None))

    async def _transcribe(self, item_id: str, audio16k: np.ndarray) -> str:
        """Recognise one committed item: the transcription events, and the text the responder
        hears (the model hears the audio even when the transcription model fails)."""
        try:
            text = await self._kit.transcribe_async(audio16k)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._transcription.recogniser_failed(item_id, exc)
        return self._transcription.recognised(item_id, text, audio16k.size / 16000)

    async def transcript(self, item_id: str) -> str | None:
        """The transcript of ``item_id`` once recognised (``None``: nothing pending for it)."""
        task = self._transcripts.get(item_id)
        if task is not None:
            with contextlib.suppress(Exception):
                return await asyncio.shield(task)
        return None

    # --- idle timeout -------------------------------------------------------------------------

    def arm_idle_timeout(self, playback_s: float) -> None:
        """A response completed: start counting silence (GA server_vad ``idle_timeout_ms``)."""
        self.cancel_idle_timeout()
        delay_s = self.audio.idle_delay_s(playback_s)
        if delay_s is None or self.closed:
            return
        self._idle = asyncio.ensure_future(self._idle_later(delay_s))

    def cancel_idle_timeout(self) -> None:
        if self._idle is not None and self._idle is not asyncio.current_task():
            self._idle.cancel()
        self._idle = None

    async def _idle_later(self, delay_s: float) -> None:
        start_ms = self.audio.stream_ms
        await asyncio.sleep(delay_s)
        if self.audio.speech is not None or self._listener.responding() or self.closed:
            return
        self._idle = None
        turn = self.audio.timeout_turn(start_ms)
        if turn is not None:
            self._transcribe_later(turn)
            self._listener.on_turn(turn)

    def stop(self) -> list[asyncio.Task[Any]]:
        """The session closes: returns the tasks to end (the idle timer, transcriptions)."""
        self.closed = True
        tasks: list[asyncio.Task[Any]] = list(self._transcripts.values())
        if self._idle is not None:
            tasks.insert(0, self._idle)
        return tasks
