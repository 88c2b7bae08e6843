"""A ``--mic FILE`` stands for a person (issue 36, items 2 and 4).

* A person who asks a second question while the answer plays on a half-duplex setup (no echo
  cancellation: the mic is muted for playback) is not heard until the answer ends; they would
  repeat it. A file cannot repeat itself, so it waits while the mic is muted and goes on where it
  stopped: the README's two-question example works whatever the gap between the questions.
* A person's speech is followed by silence even when the recording stops with the last word: at
  the file's end the mic goes on sending silence, so the server's VAD hears the speech end and
  answers, on WebSocket as on WebRTC.

End to end: the installed ``voicechat --no-ui`` against the embedded local server (tone voice,
the test grammar), the event log read back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import events, read_records
from tests.speech import TEST_PHRASES, speech_wav

VOICECHAT = Path(sys.executable).parent / "voicechat"


def run(tmp_path: Path, wav: Path, transport: str, turns: int) -> tuple[
        subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--transport", transport, "--mic",
         str(wav), "--speaker", "none", "--record", str(tmp_path / "log.jsonl"),
         "--turns", str(turns), "--config", str(cfg)],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )
    return proc, read_records(tmp_path / "log.jsonl")


def heard(records: list[dict[str, Any]]) -> list[str]:
    return [e["transcript"].lower().rstrip(".?") for e in events(records, "in")
            if e["type"] == "conversation.item.input_audio_transcription.completed"]


def completed(records: list[dict[str, Any]]) -> int:
    return sum(1 for e in events(records, "in")
               if e["type"] == "response.done" and e["response"]["status"] == "completed")


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
def test_a_question_asked_while_the_answer_plays_waits_for_it(
        tmp_path: Path, transport: str) -> None:
    # 0.6 s after the first question the second begins: the answer is playing by then
    wav = speech_wav(tmp_path / "quick.wav", TEST_PHRASES[:2], gap_s=0.6, tail_s=1.0)
    proc, records = run(tmp_path, wav, transport, turns=2)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert heard(records) == [p.lower().rstrip(".?") for p in TEST_PHRASES[:2]]
    assert completed(records) == 2
    kinds = [r["event"]["type"] for r in records]
    assert "local.mic.held" in kinds and "local.mic.resumed" in kinds, kinds


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
def test_speech_to_the_files_last_sample_is_answered(tmp_path: Path, transport: str) -> None:
    wav = speech_wav(tmp_path / "no_tail.wav", TEST_PHRASES[:1], tail_s=0.0)
    proc, records = run(tmp_path, wav, transport, turns=1)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert heard(records) == [TEST_PHRASES[0].lower().rstrip(".?")]
    assert completed(records) == 1
