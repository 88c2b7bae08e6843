"""A healthy conversation with the real local server, recorded by our recorder: doctor is quiet.

This is the end-to-end check of the log contract: a real WebSocket client (aiohttp) talks to
``voicechat.server.app.LocalServer`` with server VAD and transcription on, two spoken turns,
every event recorded as it crosses the wire; then the doctor must read every line and find
nothing, and the log must be redacted (audio as byte counts, no key).
"""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from tests.helpers import EventLog
from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.doctor import diagnose
from voicechat.eventlog.recorder import Recorder
from voicechat.server.app import LocalServer

KEY = "sk-test-livecheck-0123456789abcdef"
WAIT_S = 60.0

pytestmark = pytest.mark.slow


async def _conversation(srv: LocalServer, recorder: Recorder) -> list[dict[str, Any]]:
    received = EventLog()

    async def send(ws: aiohttp.ClientWebSocketResponse, event: dict[str, Any]) -> None:
        recorder.record("out", event)
        await ws.send_str(json.dumps(event))

    async def wait_for(kind: str, after: int) -> None:
        await received.wait_for(kind, after=after, timeout=WAIT_S)

    url = srv.base_url.replace("http", "ws", 1) + "/v1/realtime?model=gpt-realtime"
    async with aiohttp.ClientSession() as http:
        recorder.record("local", {"type": "local.transport.state", "state": "connecting"})
        ws = await http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"},
                                   max_msg_size=0)

        async def reader() -> None:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    event = json.loads(msg.data)
                    recorder.record("in", event)
                    received.add(event)

        task = asyncio.create_task(reader())
        try:
            await wait_for("session.created", 0)
            recorder.record("local", {"type": "local.transport.state", "state": "connected"})
            await send(ws, {"type": "session.update", "session": {
                "type": "realtime", "instructions": "Repeat what you hear.",
                "audio": {"input": {
                    "transcription": {"model": "gpt-4o-mini-transcribe"},
                    "turn_detection": {"type": "server_vad", "threshold": 0.5,
                                       "prefix_padding_ms": 300, "silence_duration_ms": 500}}}}})
            await wait_for("session.updated", 0)
            for phrase in TEST_PHRASES[:2]:
                mark = len(received.events)
                pcm = speech_pcm(phrase, 24000)
                audio = np.concatenate([np.zeros(7200, np.int16), pcm, np.zeros(24000, np.int16)])
                for i in range(0, audio.size, 2400):  # 100 ms appends
                    chunk = audio[i:i + 2400].astype("<i2").tobytes()
                    await send(ws, {"type": "input_audio_buffer.append",
                                    "audio": base64.b64encode(chunk).decode()})
                await wait_for("conversation.item.input_audio_transcription.completed", mark)
                await wait_for("response.done", mark)
            recorder.record("local", {"type": "local.transport.state", "state": "closed"})
            await ws.close()
        finally:
            task.cancel()
    return received.events


async def test_healthy_local_server_conversation_has_no_findings(
    server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "live.jsonl"
    with Recorder.open(path) as recorder:
        received = await _conversation(server, recorder)
    kinds = [e["type"] for e in received]
    assert kinds.count("response.done") == 2 and "input_audio_buffer.speech_started" in kinds

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert KEY not in text
    lines = [json.loads(line) for line in text.splitlines()]
    appends = [x["event"] for x in lines if x["event"]["type"] == "input_audio_buffer.append"]
    assert appends and all(set(a["audio"]) == {"bytes"} for a in appends)
    assert appends[0]["audio"]["bytes"] == 4800

    report = diagnose(path)
    assert report.format == "voicechat JSONL event log" and report.dialect == "ga"
    assert report.events == len(lines) and report.skipped_lines == 0
    assert report.findings == [], [f.to_json() for f in report.findings]


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
def test_voicechat_client_recording_of_a_healthy_session_has_no_findings(
    tmp_path: Path, transport: str
) -> None:
    """The real client (``voicechat --no-ui --record``) against the embedded local server.

    Its log carries the mic state (``local.mic.*``) and playback events, so this checks the
    rules against exactly what our own recorder writes in a healthy two-turn session.
    """
    import os
    import subprocess
    import sys

    from tests.speech import speech_wav

    # The gap outlasts the first answer even on a slow machine: recognition, the answer's
    # playback and the mic's return took up to 4 s under load, and a second question that
    # starts while the mic is still muted for playback loses its first word (an empty
    # transcript, which the doctor rightly reports).
    wav = speech_wav(tmp_path / "two.wav", TEST_PHRASES[:2], gap_s=6.5, tail_s=1.0)
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    log = tmp_path / "session.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    proc = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "--no-ui", "--server", "local", "--transport",
         transport, "--mic", str(wav), "--speaker", str(tmp_path / "out.wav"), "--record",
         str(log), "--turns", "2", "--config", str(cfg)],
        capture_output=True, text=True, timeout=150, env=env, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = diagnose(log)
    kinds = [json.loads(line)["event"]["type"] for line in log.read_text().splitlines()]
    assert kinds.count("response.done") == 2 and "local.mic.muted" in kinds
    assert report.events == len(kinds) and report.skipped_lines == 0
    assert report.findings == [], [f.to_json() for f in report.findings]

    # The same session with the classic bug: the client never unmutes after playback (it waits
    # for output_audio_buffer.cleared) and the user keeps pressing keys. The doctor must see it.
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    first_mute = next(i for i, r in enumerate(rows) if r["event"]["type"] == "local.mic.muted")
    stuck = [r for i, r in enumerate(rows)
             if not (i > first_mute and r["event"]["type"] in ("local.mic.unmuted",
                                                               "input_audio_buffer.append"))]
    cut = next(i for i, r in enumerate(stuck) if r["event"]["type"] == "local.playback.drained")
    stuck = stuck[: cut + 1]
    last_t = stuck[-1]["t"]
    stuck.append({"t": last_t + 9.0, "ts": "", "dir": "local",
                  "event": {"type": "local.key", "action": "talk"}})
    broken = tmp_path / "stuck.jsonl"
    broken.write_text("".join(json.dumps(r) + "\n" for r in stuck))
    assert {f.rule for f in diagnose(broken).findings} == {"mic-not-resumed"}
