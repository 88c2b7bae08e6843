"""The asyncio side of input audio: VAD models built off the loop, transcription tasks, the
idle timer.

:class:`InputAudio` and :class:`TranscriptionEvents` decide what each step means; this driver
only schedules them and tells the engine (a :class:`TurnListener`) when the user started
speaking or finished a turn — the engine decides whether that interrupts or starts a response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from voicechat.protocol.errors import ProtocolError
from voicechat.server.input_audio import (
    InputAudio,
    SpeechStarted,
    Turn,
    VadChange,
    decode_append,
)
from voicechat.server.sessions import SessionState
from voicechat.server.transcription import TranscriptionEvents
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger(__name__)


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
        self._vad_build: asyncio.Task[None] | None = None
        self._vad_turn = asyncio.Lock()  # the VAD hears the stream in order, one feed at a time
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
            self._rebuild_vad(change, from_sample=self.audio.stream_samples - pcm.size)
        await self._run_vad(pcm, self.audio.stream_samples)

    def _rebuild_vad(self, change: VadChange, from_sample: int) -> None:
        """Turn detection changed: the old VAD goes now, the new one is built off the loop.

        The session's events are not held up meanwhile: loading a model takes ~80 ms of CPU,
        and a burst of new sessions queues those loads, so a session that waited for its VAD
        before its next event had a typed turn answered seconds late (issue 54's load bench:
        p95 first audio 0.9–2.8 s at 50 callers). The audio that arrives meanwhile is held in
        the input buffer, and the new VAD hears it from ``from_sample`` on once it is ready.
        """
        if self._vad_build is not None:
            self._vad_build.cancel()
            self._vad_build = None
        self.audio.release_vad()
        if change.turn_detection:
            self._vad_build = asyncio.ensure_future(self._build_vad(change, from_sample))
        else:
            self.audio.install_vad(change, None, from_sample)

    async def _build_vad(self, change: VadChange, from_sample: int) -> None:
        try:
            vad = await self._kit.load_vad(change.turn_detection or {})
        except Exception as exc:  # not the session's doing: said in the log, the session goes on
            log.warning("server VAD unavailable for a session (%s: %s): its turns need commits",
                        type(exc).__name__, exc)
            return
        if self._vad_build is asyncio.current_task():
            self._vad_build = None
        if self.closed or not self.audio.install_vad(change, vad, from_sample):
            vad.close()  # closed, or the session changed again meanwhile (its own build runs)
            return
        await self._run_vad(np.zeros(0, np.int16), -1)  # what arrived while it was built

    async def _run_vad(self, latest: np.ndarray, latest_end: int) -> None:
        """Feed the VAD what it has not heard (``latest``, the chunk ending at stream sample
        ``latest_end``, or more after it was installed) and act on the boundaries it finds; one
        feed at a time, in stream order."""
        async with self._vad_turn:
            vad = self.audio.vad
            if vad is None or self.closed:
                return  # off, or still being built: the buffer holds the audio for it
            for ev in vad.feed(self.audio.vad_unseen(latest, latest_end)):
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
        self.audio.release_vad()
        tasks: list[asyncio.Task[Any]] = list(self._transcripts.values())
        if self._idle is not None:
            tasks.insert(0, self._idle)
        if self._vad_build is not None:
            tasks.insert(0, self._vad_build)
        return tasks
