"""Benchmark the offline voice pipeline: VAD cost per frame, ASR real-time factor, TTS time.

Run: .venv/bin/python bench/bench_voice.py [--repeat N]

Prints figures only (nothing is asserted): CPU time of this process per unit of work, which is
stable on a shared machine, and wall time next to it. Inputs are TEST_PHRASES spoken by espeak,
so the numbers describe the same audio the tests use.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.rtc import dsp
from voicechat.server.voice.asr import Recognizer
from voicechat.server.voice.tts import make_voice
from voicechat.server.voice.vad import StreamingVad


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(cpu seconds, wall seconds) per call, best of ``repeat``."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rep = args.repeat

    gap = np.zeros(8000, dtype=np.int16)
    utterances = [np.concatenate([gap, speech_pcm(p, 16000), gap]) for p in TEST_PHRASES]
    stream = np.concatenate(utterances)
    seconds = len(stream) / 16000
    print(f"input: {len(TEST_PHRASES)} sentences, {seconds:.1f} s of 16 kHz audio")

    print("\n== VAD (StreamingVad, fed in 20 ms chunks)")
    for backend in ("silero", "webrtc"):
        vad = StreamingVad(backend=backend)  # type: ignore[arg-type]
        frame_ms = vad._classifier.window * 1000 / vad._classifier.rate

        def run(vad: StreamingVad = vad) -> None:
            vad.reset()
            for i in range(0, len(stream), 320):
                vad.feed(stream[i : i + 320])

        cpu, wall = timed(run, rep)
        frames = len(stream) / vad._classifier.window
        print(
            f"{backend:7s} frame {frame_ms:.0f} ms: {cpu / frames * 1e6:7.1f} µs CPU/frame "
            f"({wall / frames * 1e6:.1f} µs wall), {cpu / seconds * 100:.2f} % of a core"
        )
    t0 = time.perf_counter()
    StreamingVad()
    print(f"new StreamingVad (silero, pooled model): {(time.perf_counter() - t0) * 1e3:.1f} ms")

    print("\n== ASR (pocketsphinx, whole utterances)")
    t0 = time.perf_counter()
    grammar = Recognizer(TEST_PHRASES)
    print(f"first Recognizer (loads the model): {(time.perf_counter() - t0) * 1e3:.0f} ms")
    t0 = time.perf_counter()
    open_vocab = Recognizer()
    print(f"second Recognizer (model cached): {(time.perf_counter() - t0) * 1e3:.1f} ms")
    for name, rec in (("grammar", grammar), ("open vocabulary", open_vocab)):
        cpu_total = wall_total = 0.0
        correct = 0
        for phrase, utt in zip(TEST_PHRASES, utterances, strict=True):
            cpu, wall = timed(lambda rec=rec, utt=utt: rec.transcribe(utt), rep)
            cpu_total += cpu
            wall_total += wall
            correct += rec.transcribe(utt) == phrase
        print(
            f"{name:16s} RTF {cpu_total / seconds:.3f} CPU ({wall_total / seconds:.3f} wall)"
            f", exact {correct}/{len(TEST_PHRASES)}"
        )

    print("\n== TTS (24 kHz output, per sentence)")
    for name in ("espeak", "tone"):
        voice = make_voice(name)  # type: ignore[arg-type]
        cpu_total = wall_total = audio_s = 0.0
        for phrase in TEST_PHRASES:
            cpu, wall = timed(lambda v=voice, p=phrase: v.synthesize(p), rep)
            cpu_total += cpu
            wall_total += wall
            audio_s += len(voice.synthesize(phrase)) / 24000
        n = len(TEST_PHRASES)
        print(
            f"{name:7s} {cpu_total / n * 1e3:6.2f} ms CPU/sentence "
            f"({wall_total / n * 1e3:.2f} wall), {audio_s / n:.2f} s of audio per sentence"
        )

    print("\n== resampling (one second of audio)")
    rng = np.random.default_rng(0)
    for src, dst in ((48000, 16000), (48000, 24000), (24000, 48000), (22050, 24000), (24000, 8000)):
        x = rng.integers(-20000, 20000, src).astype(np.int16)
        cpu, wall = timed(lambda x=x, s=src, d=dst: dsp.resample(x, s, d), rep)
        sr = dsp.StreamResampler(src, dst)
        chunk = src // 50

        def streamed(x: np.ndarray = x, sr: dsp.StreamResampler = sr, chunk: int = chunk) -> None:
            sr.reset()
            for i in range(0, len(x), chunk):
                sr.process(x[i : i + chunk])

        scpu, _ = timed(streamed, rep)
        print(
            f"{src:>5} -> {dst:<5} one-shot {cpu * 1e3:5.2f} ms CPU, "
            f"streamed in 20 ms chunks {scpu * 1e3:5.2f} ms CPU"
        )


if __name__ == "__main__":
    main()
