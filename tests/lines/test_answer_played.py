"""A piped line's spoken answer is played whole before the run ends (issue 36, item 1).

Runs the installed ``voicechat --no-ui`` against the embedded local server (tone voice, echo
responder) with no mic and a WAV as the speaker, on both transports: the run must not end at
``response.done`` while the answer's audio is still on its way to the speaker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import read_records

VOICECHAT = Path(sys.executable).parent / "voicechat"
LINE = "Hello there, tell me a joke about penguins please."


def audible_ms(pcm: np.ndarray, rate: int) -> int:
    """Milliseconds of 10 ms windows whose peak is clearly above silence."""
    win = rate // 100
    n = pcm.size // win
    peaks = np.abs(pcm[: n * win].reshape(n, win)).max(axis=1)
    return int((peaks > 1000).sum()) * 10


def run_piped(tmp_path: Path, text: str, transport: str, *extra: str) -> tuple[
        subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('local_voice = "tone"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    log = tmp_path / "log.jsonl"
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--transport", transport, "--mic",
         "none", "--record", str(log), "--config", str(cfg), *extra],
        input=text, capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    return proc, read_records(log)


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
def test_a_piped_lines_answer_is_in_the_speaker_file_whole(tmp_path: Path,
                                                            transport: str) -> None:
    from voicechat.server.voice.tts import make_voice

    out = tmp_path / "out.wav"
    proc, records = run_piped(tmp_path, LINE + "\n", transport, "--speaker", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = [r["event"]["transcript"] for r in records if r["dir"] == "in"
            and r["event"].get("type") == "response.output_audio_transcript.done"]
    assert said == [f"You said: {LINE}"]
    voice = make_voice("tone")
    expected = audible_ms(voice.synthesize(said[0]), voice.sample_rate)
    with wave.open(str(out), "rb") as wav:
        played = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        heard = audible_ms(played, wav.getframerate())
    assert expected > 1000
    assert 0.8 * expected <= heard <= 1.25 * expected, (heard, expected)


def test_the_readme_two_lines_with_no_speaker_end_after_both_answers(tmp_path: Path) -> None:
    proc, records = run_piped(tmp_path, "Hello!\nTell me a joke.\n", "webrtc",
                              "--speaker", "none")
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = [r["event"]["transcript"] for r in records if r["dir"] == "in"
            and r["event"].get("type") == "response.output_audio_transcript.done"]
    assert said == ["You said: Hello!", "You said: Tell me a joke."]


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_a_gpt_live_answer_to_a_piped_line_is_in_the_speaker_file_whole(
    tmp_path: Path, transport: str
) -> None:
    """GPT-Live's piped lines wait for the answer turn to close (a gap in its transcript),
    which already came after the audio; this keeps it so on the one path both families
    share."""
    from tests.commands.no_ui import run_no_ui
    from tests.helpers import local_server
    from tests.speech import TEST_PHRASES
    from voicechat.server.voice.tts import make_voice

    out = tmp_path / "out.wav"
    async with local_server(asr_phrases=TEST_PHRASES, live_answer_instructions=True) as srv:
        code, printed, err, records = await run_no_ui(
            tmp_path, srv.base_url, transport, LINE + "\n", "--api", "live", "--model",
            "gpt-live-1", "--speaker", str(out), events=False)
    assert code == 0, (printed[-3000:], err[-3000:])
    said = [r["event"]["text"] for r in records if r["event"].get("type") == "local.live.turn"
            and r["event"]["speaker"] == "assistant"]
    assert said == [f"You said: The user typed: {LINE}"]
    voice = make_voice("tone")
    expected = audible_ms(voice.synthesize(said[0]), voice.sample_rate)
    with wave.open(str(out), "rb") as wav:
        played = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        heard = audible_ms(played, wav.getframerate())
    assert expected > 1000
    assert 0.8 * expected <= heard <= 1.25 * expected, (heard, expected)
