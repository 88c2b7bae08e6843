"""The offline voice pipeline as one server sees it: VAD factory, recogniser, voice, responders.

Models are heavy to load and cheap to share, so one :class:`VoiceKit` per server loads each at
most once (lazily, on first use — the ``tone`` voice used by fast tests never touches espeak),
while state that belongs to a conversation (VAD, responder position) is created per session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import concurrent.futures.process
import contextlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

#: ``semantic_vad`` has no model here; map eagerness to how long a pause ends the turn.
_EAGERNESS_SILENCE_MS = {"high": 300, "medium": 600, "auto": 600, "low": 1200}


class VoiceKit:
    """Voice components for one server (thread-safe lazy loading)."""

    def __init__(
        self,
        voice: str = "espeak",
        responder: str = "echo",
        asr_phrases: list[str] | None = None,
        asr_workers: int = 0,
    ) -> None:
        self.voice_name = voice
        self.responder_spec = responder
        self.asr_phrases = list(asr_phrases) if asr_phrases is not None else None
        self.asr_workers = asr_workers
        self._lock = threading.Lock()
        self._voice: Any = None
        self._recognizer: Any = None
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        #: VAD models load one at a time: a burst of new sessions then takes one core for its
        #: loads (~80 ms of CPU each), not every core from the event loop (see load_vad)
        self._vad_loader = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="vad-load", initializer=_yield_to_the_loop)

    # pocketsphinx's open-vocabulary decoder holds the GIL for the whole utterance (~230 ms for
    # 2 s of speech measured here), which stalls the event loop and with it every paced WebRTC
    # stream. With asr_workers > 0 recognition runs in separate processes instead.

    def start_pool(self) -> None:
        if self.asr_workers > 0 and self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.asr_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(self.asr_phrases,),
            )

    def stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def transcribe_async(self, pcm16k: np.ndarray) -> str:
        """Recognise 16 kHz speech off the event loop.

        A recogniser worker that dies (killed, out of memory) breaks its pool for good; the
        utterance in flight fails (the caller reports a failed transcription) and a fresh pool
        takes the next one, so one crash does not end transcription for the server's lifetime.
        """
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is not None:
            try:
                return str(await loop.run_in_executor(pool, _worker_transcribe, pcm16k))
            except concurrent.futures.process.BrokenProcessPool:
                if self._pool is pool:  # the first caller to notice replaces it
                    self.stop_pool()
                    self.start_pool()
                raise
        return await loop.run_in_executor(None, self.transcribe, pcm16k)

    def check(self) -> None:
        """Fail early with a clear message when the responder spec is unusable."""
        from voicechat.server.voice.responders import make_responder

        make_responder(self.responder_spec)

    def warm_up(self) -> None:
        """Load the recogniser, a VAD model and the voice now (blocking; run in an executor).

        Loading them on the first utterance instead stalls the event loop for hundreds of
        milliseconds — long enough to make every live WebRTC stream underrun.
        """
        if self._pool is not None:
            self._pool.submit(_worker_transcribe, np.zeros(1600, np.int16)).result()
        else:
            self.recognizer()
        self.make_vad({"type": "server_vad"})
        self.synthesize("ready")

    async def load_vad(self, turn_detection: Mapping[str, Any]) -> Any:
        """:meth:`make_vad` off the loop (a model load is ~80 ms of CPU, the GIL released).

        One load at a time, on a thread of its own: 100 sessions opened at once otherwise ran
        their loads on every thread of the default executor, and the loop that serves those
        sessions got what was left of two cores. A session does not wait for its VAD (the audio
        is held for it), so a queue of loads delays only when each starts hearing, and a model
        from the pool is ready as soon as the queue reaches it.

        Cancelled (the session ended meanwhile), the load still finishes in its thread; its
        model then goes straight back to the pool instead of waiting for the collector.
        """
        built = asyncio.get_running_loop().run_in_executor(
            self._vad_loader, self.make_vad, turn_detection)
        try:
            return await asyncio.shield(built)
        except asyncio.CancelledError:
            built.add_done_callback(_close_unused)
            raise

    def make_vad(self, turn_detection: Mapping[str, Any]) -> Any:
        from voicechat.server.voice.vad import StreamingVad

        if turn_detection.get("type") == "semantic_vad":
            eagerness = str(turn_detection.get("eagerness", "auto"))
            return StreamingVad(
                sample_rate=16000,
                threshold=0.5,
                prefix_padding_ms=300,
                silence_duration_ms=_EAGERNESS_SILENCE_MS.get(eagerness, 600),
            )
        return StreamingVad(
            sample_rate=16000,
            threshold=float(turn_detection.get("threshold", 0.5)),
            prefix_padding_ms=int(turn_detection.get("prefix_padding_ms", 300)),
            silence_duration_ms=int(turn_detection.get("silence_duration_ms", 200)),
        )

    def make_responder(self) -> Any:
        from voicechat.server.voice.responders import make_responder

        return make_responder(self.responder_spec)

    def recognizer(self) -> Any:
        with self._lock:
            if self._recognizer is None:
                from voicechat.server.voice.asr import Recognizer

                self._recognizer = Recognizer(self.asr_phrases)
            return self._recognizer

    def voice(self) -> Any:
        with self._lock:
            if self._voice is None:
                from voicechat.server.voice.tts import make_voice

                self._voice = make_voice(self.voice_name)  # type: ignore[arg-type]
            return self._voice

    def transcribe(self, pcm16k: np.ndarray) -> str:
        """Blocking: run in an executor."""
        return str(self.recognizer().transcribe(pcm16k))

    def synthesize(self, text: str) -> np.ndarray:
        """Blocking: run in an executor. int16 mono 24 kHz."""
        return np.asarray(self.voice().synthesize(text), dtype=np.int16)


_worker_recognizer: Any = None


def _worker_init(phrases: list[str] | None) -> None:
    global _worker_recognizer
    import signal

    # Ctrl-C reaches the whole process group; the server shuts its workers down itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    from voicechat.server.voice.asr import Recognizer

    _worker_recognizer = Recognizer(phrases)


def _exit_with_parent() -> None:
    """End this worker when the server process is gone, however it went.

    Why: a server killed outright (SIGKILL, the OOM killer, a crashed test peer) cannot shut
    its pool down, and a worker waiting on the pool's call queue never sees the queue close (it
    holds the queue's write end itself), so it would live on with its models loaded (~145 MB
    each). The spawn start method gives every child a sentinel that becomes ready when the
    parent exits; a daemon thread waits on it.
    """
    import multiprocessing.connection
    import os

    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child (called directly)
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(0)  # nothing here to flush: the pool's results died with the server

    threading.Thread(target=watch, name="voicechat-parent-watch", daemon=True).start()


def _worker_transcribe(pcm16k: np.ndarray) -> str:
    return str(_worker_recognizer.transcribe(pcm16k))


def _close_unused(built: asyncio.Future[Any]) -> None:
    """A VAD finished loading for a session that no longer wants it: its model to the pool."""
    if not built.cancelled() and built.exception() is None:
        built.result().close()


def _yield_to_the_loop() -> None:
    """The VAD loader's thread runs at a lower priority than the event loop's (Linux: nice
    +10 for this thread alone), so on a busy core a model load waits for the sessions' work
    rather than the reverse. Elsewhere a thread has no id ``setpriority`` takes: left as is."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
