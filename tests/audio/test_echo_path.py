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

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.audio.conftest import EchoLoop
from tests.helpers import read_records
from tests.speech import TEST_PHRASES, speech_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]

BARGE_IN_ACTIONS = ("response.cancel", "output_audio_buffer.clear", "conversation.item.truncate")

#: Long replies, one per turn: the echo of each one is heard as a new user turn, which gets the
#: next line, so the script never runs dry before the measurement window ends.
LONG_REPLIES = [
    "Here is a long answer about the history of the moon landing. In nineteen sixty nine the "
    "crew flew for three days to reach the moon, and two of them walked on the surface for a few "
    "hours while the third stayed in orbit. They collected rocks, planted a flag, set up "
    "experiments, and then flew back home to a splash down in the ocean.",
    "Here is a second long answer, about gardens. A good garden needs sun, water and patience. "
    "Plant tomatoes after the last frost, keep the soil moist but not wet, and pick the fruit "
    "when it is red and slightly soft.",
    "A third long answer, about trains. The first railways carried coal from the mines to the "
    "rivers, and soon they carried people as well. Steam engines gave way to diesel and then to "
    "electric trains.",
] + [f"Answer number {n}, again a long one, about nothing in particular, to keep talking for a "
     "while so that the echo has something to say." for n in range(4, 40)]


def client_command(config: Path, record: Path) -> list[str]:
    # When --aec/--no-aec lands, this baseline passes --no-aec.
    return [sys.executable, "-m", "voicechat.cli", "--server", "local", "--config", str(config),
            "--no-ui", "--barge-in", "--record", str(record)]


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(record: Path, predicate: Any, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = read_records(record) if record.exists() else []
        if predicate(records):
            return records
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting on {record}")


def spoken_seconds(text: str) -> float:
    from voicechat.server.voice.tts import make_voice

    voice = make_voice("espeak")
    return len(voice.synthesize(text)) / voice.sample_rate


def test_without_aec_the_echo_makes_the_assistant_interrupt_itself(
    pulse_echo: EchoLoop, tmp_path: Path
) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps(LONG_REPLIES), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        "[voicechat]\n"
        f"local_responder = {json.dumps('script:' + str(script))}\n"
        'local_voice = "espeak"\n'
        # a grammar keeps recognition fast, so the answers start on time even on a busy machine
        f"local_asr_phrases = {json.dumps(TEST_PHRASES)}\n",
        encoding="utf-8",
    )
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
