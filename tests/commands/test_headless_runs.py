"""Acceptance of issue #5: the headless two-turn conversation over WebRTC and WebSocket.

Runs the installed ``voicechat`` command against the embedded local server (tone voice, exact
ASR grammar) with a WAV as the mic and a WAV as the speaker, then reads the event log it wrote.
"""

from __future__ import annotations

import asyncio
import os
import stat
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


def audible_ms(pcm: np.ndarray, rate: int, floor: int = 1000) -> int:
    """Milliseconds of 10 ms windows whose peak is clearly above silence (over ``floor``)."""
    win = rate // 100
    n = pcm.size // win
    peaks = np.abs(pcm[: n * win].reshape(n, win)).max(axis=1)
    return int((peaks > floor).sum()) * 10


def run_cli(tmp_path: Path, wav: Path, transport: str) -> tuple[subprocess.CompletedProcess[str],
                                                                list[dict[str, Any]]]:
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--transport", transport, "--mic",
         str(wav), "--speaker", str(tmp_path / "out.wav"), "--record", str(tmp_path / "log.jsonl"),
         "--turns", "2", "--config", str(cfg), "--events"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, read_records(tmp_path / "log.jsonl")


def check_out_wav(tmp_path: Path, replies: list[str]) -> None:
    from voicechat.server.voice.tts import make_voice

    with wave.open(str(tmp_path / "out.wav"), "rb") as wav:
        rate = wav.getframerate()
        played = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    voice = make_voice("tone")
    expected = sum(audible_ms(voice.synthesize(text), voice.sample_rate) for text in replies)
    heard = audible_ms(played, rate)
    assert expected > 1000
    assert 0.8 * expected <= heard <= 1.25 * expected, (heard, expected)


@pytest.mark.slow
def test_two_turns_over_webrtc(tmp_path: Path, two_questions_wav: Path) -> None:
    proc, records = run_cli(tmp_path, two_questions_wav, "webrtc")
    assert stat.S_IMODE((tmp_path / "log.jsonl").stat().st_mode) == 0o600
    seq = [(r["dir"], r["event"]) for r in records]
    done = [e for d, e in seq if d == "in" and e["type"] == "response.done"]
    assert [e["response"]["status"] for e in done] == ["completed", "completed"]
    # the mic is muted (for playback) on each output_audio_buffer.started and unmuted after
    # each .stopped
    kinds = [(d, e["type"], e.get("reason")) for d, e in seq]
    starts = [i for i, k in enumerate(kinds) if k[1] == "output_audio_buffer.started"]
    stops = [i for i, k in enumerate(kinds) if k[1] == "output_audio_buffer.stopped"]
    assert len(starts) == 2 and len(stops) == 2
    for start, stop in zip(starts, stops, strict=True):
        between = kinds[start:stop]
        assert ("local", "local.mic.muted", "playback") in between[:3]
        assert not any(k[1] == "local.mic.unmuted" for k in between)
        assert any(k[1] == "local.mic.unmuted" for k in kinds[stop:])
    transcripts = [e["transcript"] for d, e in seq
                   if e["type"] == "conversation.item.input_audio_transcription.completed"]
    assert [t.lower().rstrip(".?") for t in transcripts] == [
        p.lower().rstrip(".?") for p in TEST_PHRASES[:2]
    ]
    replies = [e["transcript"] for d, e in seq
               if e["type"] == "response.output_audio_transcript.done"]
    assert len(replies) == 2
    check_out_wav(tmp_path, replies)
    # readable lines on stdout, and no secrets or audio payloads anywhere
    assert "response.done" in proc.stdout
    # a usage line after each response.done, and the session's usage at exit (issue 11)
    usage_lines = [line for line in proc.stdout.splitlines() if ":: usage resp" in line]
    assert len(usage_lines) == 2, proc.stdout[-2000:]
    assert all("· out " in line and "(estimate)" in line for line in usage_lines)
    assert proc.stdout.splitlines()[-1].startswith("session usage: 2 response(s) · in ")
    text = (tmp_path / "log.jsonl").read_text()
    assert "local-demo" not in text and "ek_" not in text


def answer_playbacks(records: list[dict[str, Any]], expected: int) -> list[tuple[int, int]]:
    """Per answer item, where its local playback first started and where it last drained.

    A loaded machine can starve the speaker mid-answer (the local server's voice falls behind
    the speaker): that shows as the same item draining and starting again, which the mic gate
    must ride out without unmuting. So an item may play in several stretches, each a start
    then a drain; the gate is judged from the first start to the last drain."""
    marks: dict[str, list[tuple[int, str]]] = {}
    for i, record in enumerate(records):
        kind = record["event"]["type"]
        if kind in ("local.playback.started", "local.playback.drained"):
            marks.setdefault(record["event"].get("item_id"), []).append((i, kind))
    assert len(marks) == expected, marks
    spans = []
    for item, seen in marks.items():
        pairs = len(seen) // 2
        assert [k for _, k in seen] == ["local.playback.started",
                                        "local.playback.drained"] * pairs and pairs, (item, seen)
        spans.append((seen[0][0], seen[-1][0]))
    return spans


@pytest.mark.slow
def test_two_turns_over_websocket(tmp_path: Path, two_questions_wav: Path) -> None:
    _, records = run_cli(tmp_path, two_questions_wav, "websocket")
    inbound = events(records, "in")
    done = [e for e in inbound if e["type"] == "response.done"]
    assert [e["response"]["status"] for e in done] == ["completed", "completed"]
    assert not any(e["type"].startswith("output_audio_buffer") for e in inbound)
    appends = [e for e in events(records, "out") if e["type"] == "input_audio_buffer.append"]
    assert appends and all(set(e["audio"]) == {"bytes"} for e in appends)  # redacted
    deltas = [e for e in inbound if e["type"] == "response.output_audio.delta"]
    assert deltas and all(set(e["delta"]) == {"bytes"} for e in deltas)
    # on WebSocket the gate keys off local playback: muted when it starts, unmuted after drain
    kinds = [(r["dir"], r["event"]["type"], r["event"].get("reason")) for r in records]
    for a, b in answer_playbacks(records, expected=2):
        assert ("local", "local.mic.muted", "playback") in kinds[a - 3 : a + 3]
        assert not any(k[1] == "local.mic.unmuted" for k in kinds[a:b])
        assert any(k[1] == "local.mic.unmuted" for k in kinds[b:])
    replies = [e["transcript"] for e in inbound
               if e["type"] == "response.output_audio_transcript.done"]
    check_out_wav(tmp_path, replies)


def test_lines_skip_audio_and_delta_floods() -> None:
    from voicechat.eventlog.record import LogRecord
    from voicechat.lines.printer import event_line

    def line(direction: str, event: dict[str, Any]) -> str | None:
        return event_line(LogRecord(t=1.5, ts="", dir=direction, event=event))  # type: ignore[arg-type]

    assert line("out", {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}) is None
    assert line("in", {"type": "response.output_audio.delta", "delta": {"bytes": 9600}}) is None
    assert line("in", {"type": "response.output_audio_transcript.delta", "delta": "hi"}) is None
    done = line("in", {"type": "response.done", "response": {"id": "r1", "status": "completed"}})
    assert done is not None and "response.done" in done and "completed" in done
    muted = line("local", {"type": "local.mic.muted", "reason": "playback"})
    assert muted is not None and "playback" in muted


def test_cli_reports_an_unreachable_server_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    env["OPENAI_API_KEY"] = "sk-should-never-be-printed-123"
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "http://127.0.0.1:9", "--mic", "none",
         "--speaker", "none", "--config", str(tmp_path / "none.toml")],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert proc.returncode == 2  # the --config file does not exist: named, exit 2
    assert "none.toml" in proc.stderr
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "http://127.0.0.1:9", "--mic", "none",
         "--speaker", "none", "--config", str(tmp_path / "empty.toml")],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )
    assert proc.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in proc.stderr
    assert "fix: check --server and your network" in proc.stderr
    assert "sk-should-never" not in proc.stderr + proc.stdout


async def test_a_run_that_used_nothing_says_so_not_cost_unknown(server, tmp_path: Path) -> None:
    """A mic file of silence: no response, no tokens; the usage line says none was used
    rather than "cost unknown (no price for this model)" (issue 55)."""
    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(24000)
        out.writeframes(b"\0" * 48000)  # 1 s
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT), "--no-ui", "--server", server.base_url, "--mic", str(silence),
        "--speaker", "none", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    out_b, err_b = await asyncio.wait_for(proc.communicate(), 120)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, err
    assert "session usage: none (no response completed)" in out
    assert "cost unknown" not in out + err
