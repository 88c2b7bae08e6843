"""Acceptance of issue 31, item 2: ``voicechat --api live --no-ui`` completes two spoken turns
against the embedded local server over WebSocket and over WebRTC, the mic streaming throughout
(a WAV mic with two questions, a WAV speaker), and reads the event log it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import events, read_records
from tests.speech import TEST_PHRASES

VOICECHAT = Path(sys.executable).parent / "voicechat"


def run_live(tmp_path: Path, wav: Path, transport: str, *extra: str) -> tuple[
        subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE",
                                                                    "VOICECHAT"))}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", *extra, "--server", "local", "--transport", transport,
         "--mic", str(wav), "--speaker", str(tmp_path / "out.wav"),
         "--record", str(tmp_path / "log.jsonl"), "--turns", "2", "--config", str(cfg)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    return proc, read_records(tmp_path / "log.jsonl")


def onsets_ms(wav: Path) -> list[int]:
    """Where each spoken phrase of the mic file begins (after at least 1 s of silence)."""
    with wave.open(str(wav), "rb") as f:
        rate = f.getframerate()
        pcm = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16)
    win = rate // 100
    peaks = np.abs(pcm[: pcm.size // win * win].reshape(-1, win)).max(axis=1)
    found, quiet = [], 100
    for i, loud in enumerate(peaks > 1000):
        if loud and quiet >= 100:
            found.append(i * 10)
        quiet = 0 if loud else quiet + 1
    return found


def check_two_turns(proc: subprocess.CompletedProcess[str], records: list[dict[str, Any]],
                    wav: Path) -> None:
    turns = [r["event"] for r in records if r["event"]["type"] == "local.live.turn"]
    users = [t for t in turns if t["speaker"] == "user"]
    replies = [t for t in turns if t["speaker"] == "assistant"]
    assert [t["text"].rstrip(".?") for t in users] == [p.rstrip(".?") for p in TEST_PHRASES[:2]]
    assert len(replies) == 2 and not any(t.get("interrupted") for t in replies), replies
    for reply, phrase in zip(replies, TEST_PHRASES[:2], strict=True):
        assert phrase.rstrip(".?") in reply["text"]
    inbound = [e["type"] for e in events(records, "in")]
    assert inbound[0] == "session.started" and inbound[-1] == "session.closed"
    # the mic was never held or silenced once the session started (full duplex)
    modes = [r["event"]["mode"] for r in records if r["event"]["type"] == "local.mic.stream"]
    assert modes == ["hold", "live", "hold"], modes
    assert not any(r["event"]["type"] == "local.mic.muted" for r in records)
    # ... and the server's own timeline proves it: the gap between the two questions on the
    # input timeline is the gap in the file, so no mic audio was left out while the first
    # answer played in between
    first, second = onsets_ms(wav)[:2]
    gap = users[1]["start_ms"] - users[0]["start_ms"]
    assert abs(gap - (second - first)) < 400, (gap, second - first)
    # the assistant was audible at our speaker twice, as played (not as received)
    starts = [r for r in records if r["event"]["type"] == "local.playback.started"]
    assert len(starts) >= 2
    # the conversation, as lines (the default of --no-ui; --events prints the event flow)
    said = [line for line in proc.stdout.splitlines() if line.startswith(("user:", "assistant:"))]
    assert [line.split(":")[0] for line in said] == ["user", "assistant", "user", "assistant"]
    assert "assistant: You said: Please turn on the kitchen lights." in said
    assert " <- " not in proc.stdout and " -> " not in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("session usage: 2 assistant turn(s)")
    assert "(confirmed by session.closed)" in proc.stdout.splitlines()[-1]


def check_doctor_is_quiet(tmp_path: Path) -> None:
    """The doctor reads the log as GPT-Live and finds none of its pitfalls in it (the mic
    pausing while the assistant speaks among them)."""
    doctor = subprocess.run([str(VOICECHAT), "doctor", str(tmp_path / "log.jsonl")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert doctor.returncode == 0, doctor.stdout
    assert "dialect live" in doctor.stdout and "No problems found." in doctor.stdout


@pytest.mark.slow
def test_live_two_turns_over_websocket(tmp_path: Path, two_questions_wav: Path) -> None:
    proc, records = run_live(tmp_path, two_questions_wav, "websocket", "--api", "live")
    check_two_turns(proc, records, two_questions_wav)
    check_doctor_is_quiet(tmp_path)
    out = events(records, "out")
    assert out[0]["type"] == "session.start" and out[0]["session"] == {"model": "gpt-live-1"}
    appends = [e for e in out if e["type"] == "session.input_audio.append"]
    assert appends and all(set(e["audio"]) == {"bytes"} for e in appends)  # redacted
    # 100 ms appends for the whole session, during the answers too: none is missing
    started = next(r["t"] for r in records if r["event"]["type"] == "session.started")
    closed = next(r["t"] for r in records if r["event"]["type"] == "session.closed")
    assert len(appends) >= 0.9 * (closed - started) * 10, (len(appends), closed - started)
    deltas = [e for e in events(records, "in") if e["type"] == "session.output_audio.delta"]
    assert deltas and all(set(e["delta"]) == {"bytes"} for e in deltas)


@pytest.mark.slow
def test_live_two_turns_over_webrtc_chosen_by_model_name(
    tmp_path: Path, two_questions_wav: Path
) -> None:
    proc, records = run_live(tmp_path, two_questions_wav, "webrtc", "--model", "gpt-live-1")
    check_two_turns(proc, records, two_questions_wav)
    check_doctor_is_quiet(tmp_path)
    out = [e["type"] for e in events(records, "out")]
    assert "session.start" not in out  # the JSON create started it
    assert "session.input_audio.append" not in out  # the mic rides RTP
    connecting = next(r["event"] for r in records
                      if r["event"].get("state") == "connecting")
    assert connecting["detail"].endswith("/v1/live/sessions")
