"""The real echo path: a laptop on speakers, simulated by the private PulseAudio daemon.

The virtual speaker's monitor loops back into the virtual mic (30 ms, -6 dB; see
``scripts/pulse-echo.sh``). The client runs as a user would, ``voicechat --barge-in`` on the
default devices, against its embedded local server with a script responder, which answers one
spoken question with a long scripted reply. Nobody speaks after the question, so every barge-in
action the client takes (``response.cancel``, ``output_audio_buffer.clear``,
``conversation.item.truncate``) is the assistant interrupting itself: it hears its own voice.

Without echo cancellation this must happen (issue 10 measured 16 actions in one long answer):
that is what proves the echo path is real, and it is the baseline the AEC tests compare with.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.audio.conftest import EchoLoop
from tests.audio.echo_run import (
    BARGE_IN_ACTIONS,
    LONG_REPLIES,
    client_command,
    spoken_seconds,
    stop,
    wait_for,
    write_config,
)
from tests.helpers import read_records
from tests.speech import TEST_PHRASES, speech_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]


def test_without_aec_the_echo_makes_the_assistant_interrupt_itself(
    pulse_echo: EchoLoop, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    question = speech_wav(tmp_path / "q.wav", TEST_PHRASES[3:4], lead_s=0.3, tail_s=0.5)
    record = tmp_path / "events.jsonl"
    answer_s = spoken_seconds(LONG_REPLIES[0])
    with (tmp_path / "client.out").open("w") as out:
        client = subprocess.Popen(client_command(config, record), stdout=out, stderr=out)
        try:
            wait_for(record, lambda rs: any(r["event"]["type"] == "session.updated" for r in rs),
                     timeout=90)
            time.sleep(0.5)  # the mic stream is running before the question starts
            subprocess.run(["paplay", "--device=micfeed", str(question)], check=True, timeout=30)
            records = wait_for(
                record,
                lambda rs: any(r["event"]["type"] == "local.playback.started" for r in rs),
                timeout=60,
            )
            started = next(r["t"] for r in records
                           if r["event"]["type"] == "local.playback.started")
            # one long answer's worth of time, as if it had played uninterrupted
            time.sleep(answer_s)
        finally:
            stop(client)
    records = read_records(record)
    window = [r for r in records if started <= r["t"] <= started + answer_s]
    actions = [r["event"]["type"] for r in window
               if r["dir"] == "out" and r["event"]["type"] in BARGE_IN_ACTIONS]
    heard = sum(r["event"]["type"] == "input_audio_buffer.speech_started" for r in window)
    print(f"\nfalse barge-in actions in one long answer ({answer_s:.1f} s), echo "
          f"{pulse_echo.latency_ms} ms / {pulse_echo.gain_db} dB, no AEC: {len(actions)} "
          f"({', '.join(f'{a}={actions.count(a)}' for a in BARGE_IN_ACTIONS)}); "
          f"speech_started from echo: {heard}")
    assert heard > 0, "the server never heard the echo: the loopback is not reaching the mic"
    # The echo counts as the user talking over the assistant: either a barge-in follows, or the
    # client's self-interruption guard says it ignored that speech (when the first echo lands
    # inside the guard's first 500 ms of assistant audio and the VAD hears one unbroken segment).
    guarded = [r for r in window if r["event"]["type"] == "local.notice"
               and "self-interruption guard" in str(r["event"].get("message", ""))]
    assert actions or guarded, "echo reached the mic but the client never took it for speech"
