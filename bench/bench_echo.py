"""Benchmark echo cancellation: echo removed (dB), the user kept, CPU (% of a core), latency.

Run: .venv/bin/python bench/bench_echo.py [--seconds 12] [--candidates]

The room is the synthetic one of tests/audio/echo_signals.py: espeak speech through a 50 ms,
-6 dB loudspeaker-to-mic path with a reverberant tail; the user talks over the assistant (0 dB
signal-to-echo) from 70 % of the run. Nothing is asserted; figures are printed next to a
same-run baseline (the 48->24 kHz streaming resample every mic frame already goes through, on
the same audio in the same block size) and the machine's load, so a number from a busy machine
can be read as such. ``--candidates`` also runs the alternatives that were compared when the
package was chosen, when they are importable (pywebrtc-audio; speexdsp through Debian's
libspeexdsp1).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio.echo_signals import RATE, EchoScene, db, scene
from voicechat.audio.echo import EchoCanceller
from voicechat.audio.echo.engine import ApmEngine
from voicechat.rtc import dsp

Int16 = npt.NDArray[np.int16]
BLOCK = 960  # 20 ms
FRAME = 480  # 10 ms
#: (far 10 ms frame, mic 10 ms frame) -> cleaned 10 ms frame
Canceller = Callable[[Int16, Int16], Int16]


def cpu_pct(seconds_cpu: float, seconds_audio: float) -> float:
    return 100.0 * seconds_cpu / seconds_audio


def run_frames(cancel: Canceller, sc: EchoScene) -> tuple[npt.NDArray[np.float64], float]:
    """Cleaned mic and CPU seconds, feeding 10 ms frames."""
    out = np.zeros(sc.far.size)
    cpu = 0.0
    for i in range(0, sc.far.size - FRAME + 1, FRAME):
        c0 = time.process_time()
        cleaned = cancel(sc.far[i : i + FRAME], sc.mic[i : i + FRAME])
        cpu += time.process_time() - c0
        out[i : i + FRAME] = cleaned
    return out, cpu


def quality(sc: EchoScene, out: npt.NDArray[np.float64], near_at: int) -> tuple[float, float]:
    """(echo removed in dB over the converged stretch before the user talks, user kept in dB)."""
    settled = slice(int(0.4 * sc.far.size), near_at)
    voice = np.flatnonzero(sc.near)
    talking = slice(int(voice[0]), int(voice[-1]))
    return db(sc.echo[settled], out[settled]), db(out[talking], sc.near[talking])


def apm_latency_ms() -> float:
    """The APM's own delay on the mic path: near-end speech only, far end silent."""
    sc = scene(4.0, near_at_s=0.5, gain_db=-200.0)
    engine = ApmEngine(RATE)
    silence = np.zeros(FRAME, dtype=np.int16)
    out = np.zeros(sc.mic.size)
    for i in range(0, sc.mic.size - FRAME + 1, FRAME):
        engine.far(silence)
        out[i : i + FRAME] = engine.near(sc.mic[i : i + FRAME], 0)
    x, ref = out[RATE : 3 * RATE], sc.mic[RATE - RATE // 20 : 3 * RATE].astype(np.float64)
    corr = [float(np.dot(x, ref[RATE // 20 - lag : RATE // 20 - lag + x.size]))
            for lag in range(0, RATE // 20)]
    return 1000.0 * int(np.argmax(corr)) / RATE


def livekit_engine() -> Canceller:
    engine = ApmEngine(RATE)

    def cancel(far: Int16, mic: Int16) -> Int16:
        engine.far(far)
        return engine.near(mic, 50)

    return cancel


def pywebrtc_engine() -> Canceller | None:
    try:
        import pywebrtc_audio  # type: ignore[import-not-found]
    except ImportError:
        return None
    ap = pywebrtc_audio.AudioProcessor(sample_rate=RATE, echo_cancellation=True,
                                       stream_delay_ms=50)

    def cancel(far: Int16, mic: Int16) -> Int16:
        out: Int16 = ap.process(mic, far)
        return out

    return cancel


def speex_engine(tail_ms: int = 200) -> Canceller | None:
    """speexdsp's echo canceller plus its residual-echo suppressor (the preprocessor)."""
    name = ctypes.util.find_library("speexdsp")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_preprocess_state_init.restype = ctypes.c_void_p
    lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    echo = lib.speex_echo_state_init(FRAME, RATE * tail_ms // 1000)
    rate = ctypes.c_int(RATE)
    lib.speex_echo_ctl(echo, 24, ctypes.byref(rate))  # SPEEX_ECHO_SET_SAMPLING_RATE
    pre = lib.speex_preprocess_state_init(FRAME, RATE)
    lib.speex_preprocess_ctl(pre, 24, ctypes.c_void_p(echo))  # SPEEX_PREPROCESS_SET_ECHO_STATE

    def cancel(far: Int16, mic: Int16) -> Int16:
        mic_c, far_c = np.ascontiguousarray(mic), np.ascontiguousarray(far)
        out = np.zeros(FRAME, dtype=np.int16)
        lib.speex_echo_cancellation(echo, mic_c.ctypes.data, far_c.ctypes.data, out.ctypes.data)
        lib.speex_preprocess_run(pre, out.ctypes.data)
        return out

    return cancel


def stage_run(
    sc: EchoScene, near_at: int
) -> tuple[npt.NDArray[np.float64], float, list[float], EchoCanceller, float | None]:
    """The stage as the runtime drives it: 20 ms speaker block, then 20 ms mic block. Also
    returns the live ERLE figure just before the user starts talking."""
    aec = EchoCanceller()
    out = np.zeros(sc.far.size)
    cpu, walls = 0.0, []
    erle_before: float | None = None
    for i in range(0, sc.far.size - BLOCK + 1, BLOCK):
        if erle_before is None and i >= near_at:
            erle_before = aec.metrics.erle_db
        c0, w0 = time.process_time(), time.perf_counter()
        aec.process_far(sc.far[i : i + BLOCK])
        out[i : i + BLOCK] = aec.process_near(sc.mic[i : i + BLOCK])
        cpu += time.process_time() - c0
        walls.append(1000.0 * (time.perf_counter() - w0))
    return out, cpu, walls, aec, erle_before


def baseline_cpu(sc: EchoScene) -> float:
    resampler = dsp.StreamResampler(RATE, 24000)
    c0 = time.process_time()
    for i in range(0, sc.mic.size - BLOCK + 1, BLOCK):
        resampler.process(sc.mic[i : i + BLOCK].copy())
    return time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--candidates", action="store_true", help="also run the alternatives")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} (CPU figures are per core of this process; a busy machine inflates "
          "wall times, less so CPU time)")
    sc = scene(args.seconds, near_at_s=0.7 * args.seconds)
    near_at = int(0.7 * args.seconds * RATE)
    audio_s = sc.far.size / RATE
    print(f"room: {audio_s:.1f} s of espeak speech, echo 50 ms / -6 dB with a 30 ms tail; the "
          f"user talks over it from {0.7 * args.seconds:.1f} s (0 dB signal-to-echo)")

    base = baseline_cpu(sc)
    print(f"\nbaseline: streaming 48->24 kHz resample of the mic, 20 ms blocks: "
          f"{cpu_pct(base, audio_s):.2f} % of a core")

    out, cpu, walls, aec, erle_before = stage_run(sc, near_at)
    removed, kept = quality(sc, out, near_at)
    m = aec.metrics
    print("\n== EchoCanceller stage (livekit AEC3 + delay estimate + ERLE + residual detector)")
    print(f"echo removed      {removed:6.1f} dB   (live ERLE figure: {erle_before} dB before the "
          f"user talks, {m.erle_db} dB while they talk)")
    print(f"user kept         {kept:+6.1f} dB   (their energy out vs in, while both talk)")
    print(f"CPU               {cpu_pct(cpu, audio_s):6.2f} % of a core "
          f"({cpu / max(base, 1e-9):.1f}x the baseline)")
    print(f"per 20 ms block   p50 {np.percentile(walls, 50):.2f} ms, "
          f"p99 {np.percentile(walls, 99):.2f} ms, max {max(walls):.2f} ms wall")
    print(f"delay estimate    {m.delay_ms} ms (true 50 ms)")
    print(f"added latency     {m.added_latency_ms:.1f} ms re-blocking (20 ms blocks) + "
          f"{apm_latency_ms():.1f} ms inside the APM (mic in -> mic out)")

    engines: list[tuple[str, Callable[[], Canceller | None]]] = [
        ("livekit 1.x  AudioProcessingModule (AEC3)", livekit_engine)]
    if args.candidates:
        engines += [("pywebrtc-audio AudioProcessor (AEC3)", pywebrtc_engine),
                    ("speexdsp echo + preprocess (Debian lib)", speex_engine)]
    print("\n== engines alone, 10 ms frames, 48 kHz mono, delay hint 50 ms")
    print(f"{'engine':44} {'echo removed':>12} {'user kept':>10} {'CPU %':>7} {'x base':>7}")
    for name, make in engines:
        cancel = make()
        if cancel is None:
            print(f"{name:44} (not installed)")
            continue
        out, cpu = run_frames(cancel, sc)
        removed, kept = quality(sc, out, near_at)
        print(f"{name:44} {removed:9.1f} dB {kept:+7.1f} dB {cpu_pct(cpu, audio_s):7.2f} "
              f"{cpu / max(base, 1e-9):7.1f}")


if __name__ == "__main__":
    main()
