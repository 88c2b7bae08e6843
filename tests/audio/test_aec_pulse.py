"""The AEC stage on the real echo path: PortAudio streams through the private PulseAudio daemon.

Wired the way the runtime's media path will wire it: the output callback hands the speaker its
block and the same block to ``process_far``; the input callback passes each mic block through
``process_near``. The speaker's sound comes back into the mic through ``scripts/pulse-echo.sh``
(30 ms, -6 dB) plus whatever the sound server and PortAudio buffer, so the delay is unknown to
the stage, as on a laptop. An underrun on a busy machine makes the sound server re-buffer and
the delay jump (we saw 48 -> 92 ms); the stage follows within about a second, so the figure
asserted is the median over one-second stretches, which such a jump cannot decide.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.audio.conftest import EchoLoop, echo_afresh
from tests.audio.echo_signals import RATE, db, far_speech
from tests.realtime import in_real_time
from voicechat.audio.echo import EchoCanceller

pytestmark = [pytest.mark.audio, pytest.mark.slow]

SECONDS = 12.0
BLOCK = 960


def test_the_stage_cancels_the_real_echo(pulse_echo: EchoLoop) -> None:
    """Under the stall probe (tests/realtime.py): a CI run starved for CPU played the twelve
    seconds in eighteen, with 147 clock jumps; no canceller follows an echo moving that often."""
    in_real_time(lambda n: cancels_the_real_echo(pulse_echo), reset=lambda: echo_afresh(pulse_echo))


def cancels_the_real_echo(pulse_echo: EchoLoop) -> None:
    from voicechat.audio.devices import load_sounddevice

    sd = load_sounddevice()
    far = far_speech(SECONDS)
    aec = EchoCanceller()
    raw: list[npt.NDArray[np.int16]] = []
    cleaned: list[npt.NDArray[np.int16]] = []
    played = 0
    done = threading.Event()

    def speaker(outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        nonlocal played
        block = np.zeros(frames, dtype=np.int16)
        chunk = far[played : played + frames]
        block[: chunk.size] = chunk
        played += frames
        outdata[:, 0] = block
        aec.process_far(block, time_info.outputBufferDacTime)
        if played >= far.size:
            done.set()

    def mic(indata: Any, frames: int, time_info: Any, status: Any) -> None:
        block = indata[:, 0].copy()
        raw.append(block)
        cleaned.append(aec.process_near(block, time_info.inputBufferAdcTime))

    common = {"samplerate": RATE, "blocksize": BLOCK, "channels": 1, "dtype": "int16"}
    with sd.InputStream(callback=mic, **common), sd.OutputStream(callback=speaker, **common):
        assert done.wait(SECONDS + 30)
        time.sleep(0.3)
    before = np.concatenate(raw).astype(np.float64)
    after = np.concatenate(cleaned).astype(np.float64)
    assert db(before, np.zeros(1)) > 40.0, "no echo reached the mic: is the loopback on?"
    # per second, after convergence, while the assistant talks
    per_second = [db(before[t : t + RATE], after[t : t + RATE])
                  for t in range(4 * RATE, int((SECONDS - 1) * RATE), RATE)]
    removed = float(np.median(per_second))
    m = aec.metrics
    print(f"\nreal echo path ({pulse_echo.latency_ms} ms, {pulse_echo.gain_db} dB): median "
          f"{removed:.1f} dB removed (per second: {', '.join(f'{x:.0f}' for x in per_second)}); "
          f"{m}")
    # The canceller works on the real path: three seconds in a row with at least 25 dB removed
    # (no echo canceller: ~0 dB). When the sound server re-buffers after an underrun, the echo
    # can move unseen and cancellation dips for a second or two (README, Known limits), so the
    # median is printed, not asserted.
    streaks = [min(per_second[i:i + 3]) for i in range(len(per_second) - 2)]
    assert max(streaks) >= 25.0, (per_second, m)
    # The delay is DAC to ADC by the sound server's own timestamps; its loopback's latency is a
    # target it steers around (15-35 ms seen for 30 ms), so the estimate must find an echo
    # in that neighbourhood, not at zero lag and not a buffer's length away.
    assert m.delay_ms is not None, m
    assert pulse_echo.latency_ms / 2 <= m.delay_ms <= pulse_echo.latency_ms + 100, m
