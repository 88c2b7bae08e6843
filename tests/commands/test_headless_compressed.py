"""A whole ``--no-ui`` turn with an MP3 as the mic and an Ogg/Opus file as the speaker.

The spoken question goes through FFmpeg's MP3 codec and must still be recognised by the local
server's exact grammar; the reply must land, audible, in the Ogg file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from tests.helpers import read_records
from tests.speech import TEST_PHRASES

VOICECHAT = Path(sys.executable).parent / "voicechat"


def wav_to_mp3(wav_path: Path, mp3: Path) -> None:
    import av

    with wave.open(str(wav_path), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    with av.open(str(mp3), mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


def test_mp3_mic_and_ogg_speaker(tmp_path: Path, one_question_wav: Path) -> None:
    import av

    mp3 = tmp_path / "question.mp3"
    wav_to_mp3(one_question_wav, mp3)
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    out = tmp_path / "answer.ogg"
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--transport", "websocket", "--mic",
         str(mp3), "--speaker", str(out), "--record", str(tmp_path / "log.jsonl"), "--turns",
         "1", "--config", str(cfg)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = read_records(tmp_path / "log.jsonl")
    transcripts = [r["event"].get("transcript") for r in records
                   if r["event"].get("type") == "conversation.item.input_audio_transcription"
                   ".completed"]
    assert transcripts == [TEST_PHRASES[0]]
    # the conversation on stdout (--no-ui's default): the spoken question and its answer
    said = [line for line in proc.stdout.splitlines() if line.startswith(("user:", "assistant:"))]
    assert said[0] == f"user: {TEST_PHRASES[0]}" and said[1].startswith("assistant: "), said
    with av.open(str(out)) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert np.abs(samples).max() > 0.05  # the tone voice's reply, decoded as float samples
