"""GPT-Live barge-in on speakers with echo cancellation: the real client, the real echo path.

The path of ``test_aec_barge_in.py`` (the virtual speaker loops back into the virtual mic at
30 ms and -6 dB) with ``voicechat --api live --aec`` on the default devices, against ``voicechat
serve`` in its own process (espeak voice, long scripted answers). GPT-Live keeps the mic open
while the assistant speaks, so the echo of the answer reaches the server the whole time: with
the canceller on, the model must not stop for its own voice, and a real interruption (a phrase
played into the mic over the answer) must stop it, our playback following at once (the core's
flush, when the user's transcript is in before the model goes quiet; the local server's
recogniser transcribes per utterance, so there it often comes later and the rest of the
answer, paced in real time, is only what the speaker buffers). The server decides; the client
follows. Everything is judged on the session timeline (the transcripts' ``start_ms``/``end_ms``)
against the scripted answers; latency is printed, never asserted.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.audio.conftest import EchoLoop, echo_afresh
from tests.audio.echo_run import (
    LONG_REPLIES,
    kinds,
    server_process,
    stop,
    wait_for,
    write_config,
)
from tests.helpers import read_records
from tests.realtime import in_real_time
from tests.speech import TEST_PHRASES, speech_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]

LEAD_S = 0.3


def wall(record: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()


def words(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


def answers(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["event"] for r in kinds(records, "local.live.turn")
            if r["event"]["speaker"] == "assistant"]


def test_live_with_aec_a_real_interruption_stops_the_assistant(
    pulse_echo: EchoLoop, tmp_path: Path
) -> None:
    in_real_time(lambda n: interruption(pulse_echo, tmp_path / f"try{n}"),
                 reset=lambda: echo_afresh(pulse_echo))


def interruption(pulse_echo: EchoLoop, tmp_path: Path) -> None:
    tmp_path.mkdir()
    question = speech_wav(tmp_path / "q.wav", [TEST_PHRASES[3]], lead_s=LEAD_S, tail_s=0.5)
    cut_in = speech_wav(tmp_path / "i.wav", [TEST_PHRASES[1]], lead_s=LEAD_S, tail_s=0.5)
    record = tmp_path / "events.jsonl"
    with server_process(tmp_path) as server, (tmp_path / "client.out").open("w") as out:
        client = subprocess.Popen(
            [sys.executable, "-m", "voicechat.cli", "--api", "live", "--model", "gpt-live-1",
             "--transport", "websocket", "--server", server, "--config",
             str(write_config(tmp_path)), "--no-ui", "--aec", "--record", str(record)],
            stdout=out, stderr=out)
        try:
            records = wait_for(record, lambda rs: bool(kinds(rs, "session.started")), timeout=90)
            [state] = kinds(records, "local.aec.state")
            assert state["event"]["enabled"] is True, state
            time.sleep(0.5)
            subprocess.run(["paplay", "--device=micfeed", str(question)], check=True, timeout=30)
            wait_for(record, lambda rs: bool(kinds(rs, "local.playback.started")), timeout=90)
            time.sleep(5.0)  # well into the long answer: the canceller has converged
            speech_at = time.time() + LEAD_S  # when the interruption's voice starts
            feeder = subprocess.Popen(["paplay", "--device=micfeed", str(cut_in)])
            # the interrupted answer's turn closes (2 s after its last words), then the next
            records = wait_for(record, lambda rs: len(answers(rs)) >= 2, timeout=90)
            feeder.wait(timeout=30)
        finally:
            stop(client)
    records = read_records(record)
    said = answers(records)
    # on the session timeline (the mic streams in real time from session.started): where the
    # interruption began, and how each answer ended against its scripted text (echo heard as
    # speech may add user fragments of its own, so they cannot say when the user spoke)
    [started] = kinds(records, "session.started")
    user_ms = round((speech_at - wall(started)) * 1000)
    playing = [a for a in said if a["start_ms"] < user_ms]
    before, cut = playing[:-1], playing[-1]
    full = [words(text) for text in LONG_REPLIES]
    print(f"\nGPT-Live with AEC (echo {pulse_echo.latency_ms} ms / {pulse_echo.gain_db} dB): "
          f"the user began at {user_ms} ms; the answer then playing stopped at "
          f"{cut['end_ms']} ms ({cut['end_ms'] - user_ms} ms later) after "
          f"{len(words(cut['text']))} of {len(full[len(before)])} words; local playback "
          f"flushed {[r['event']['dropped_ms'] for r in kinds(records, 'local.playback.flushed')]}"
          f" ms; answers before it {[len(words(a['text'])) for a in before]} words")
    # no answer stopped for its own echo before anyone spoke...
    for n, answer in enumerate(before):
        assert words(answer["text"]) == full[n], ("an answer stopped before the user spoke: "
                                                  f"its own echo interrupted it: {answer}")
    # ... and the one playing when the user spoke stopped after they began, short of its text
    assert len(words(cut["text"])) < len(full[len(before)]), cut
    assert cut["end_ms"] > user_ms - 300, (cut, user_ms)
    assert words(cut["text"]) == full[len(before)][: len(words(cut["text"]))]
    # full duplex: the mic was never held or silenced while the session ran
    modes = [r["event"]["mode"] for r in kinds(records, "local.mic.stream")]
    assert modes[:2] == ["hold", "live"] and "silence" not in modes, modes
