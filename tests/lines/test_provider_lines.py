"""``--provider xai`` and ``--provider voice-live`` (issue 40, item 1) end to end: the installed
client, ``--no-ui`` with piped lines, then with a WAV of two known phrases as the mic (spoken
turns, as tests/commands/test_gemini_headless.py does for Gemini), against the real local
server's xAI and Voice Live personalities on 127.0.0.1, over WebSocket."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import PROVIDER_VARIABLES, VOICECHAT, run_no_ui
from tests.helpers import events, local_server, read_records
from tests.speech import TEST_PHRASES


def said(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("user:", "assistant:"))]


TWO_TURNS = ["user: hello there", "assistant: You said: hello there",
             "user: how are you", "assistant: You said: how are you"]


def first_update(records: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in events(records, "out") if e.get("type") == "session.update")


async def test_xai_two_typed_turns_over_websocket(tmp_path: Path) -> None:
    key = "xai-" + "S3cr3t" * 4
    (tmp_path / "cfg.toml").write_text(f'xai_api_key = "{key}"\n', encoding="utf-8")
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "webrtc", "hello there\nhow are you\n",
            "--provider", "xai", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == TWO_TURNS
    # asked for WebRTC by name: said once (a notice: the log and the TUI have it too), and
    # WebSocket used
    assert out.count("has no WebRTC endpoint; using WebSocket") == 1, out
    assert any("has no WebRTC endpoint" in str(r["event"].get("message")) for r in records)
    assert any(r["event"].get("type") == "local.transport.state"
               and "WebSocket to ws://" in str(r["event"].get("detail")) for r in records)
    inbound = [e["type"] for e in events(records, "in")]
    assert inbound[:2] == ["conversation.created", "session.created"]
    session = first_update(records)["session"]
    assert session["voice"] == "Ara"  # always sent explicitly
    assert "turn_detection" in session and "model" not in session
    assert "voice" not in session.get("audio", {}).get("output", {})
    assert session["audio"]["input"]["transcription"]["model"] == "grok-transcribe"
    dones = [e for e in events(records, "in") if e["type"] == "response.done"]
    assert dones and all(d["response"]["usage"] is None for d in dones)
    # null usage is normal there: no failure, and the cost is per minute
    usage = out.splitlines()[-1]
    assert usage.startswith("session usage: 2 response(s) · no token counts"), usage
    assert "/min" in usage
    assert "error" not in out.lower()
    log_text = (tmp_path / "log.jsonl").read_text(encoding="utf-8")
    assert key not in out + err + log_text  # the key went in a header, and nowhere else


async def test_xai_without_session_created_still_answers(tmp_path: Path) -> None:
    """Early-2026 xAI never sent ``session.created``: the client waits on nothing."""
    async with local_server(xai_session_created=False) as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket", "hello there\n", "--provider", "xai",
            events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == TWO_TURNS[:2]
    inbound = [e["type"] for e in events(records, "in")]
    assert "session.created" not in inbound
    assert inbound[0] == "conversation.created"
    assert "has no WebRTC" not in out + err  # WebSocket was the default, nothing to say


async def test_voice_live_two_typed_turns_in_the_beta_vocabulary(tmp_path: Path) -> None:
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, None, "hello there\nhow are you\n",
            "--provider", "voice-live", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == TWO_TURNS
    inbound = {e["type"] for e in events(records, "in")}
    assert "response.audio_transcript.done" in inbound  # beta names
    assert "response.output_audio_transcript.done" not in inbound
    session = first_update(records)["session"]
    assert "turn_detection" in session and "audio" not in session  # the beta shape
    assert out.splitlines()[-1].startswith("session usage: 2 response(s) · in ")


SPOKEN = [f"user: {TEST_PHRASES[0]}", f"assistant: You said: {TEST_PHRASES[0]}",
          f"user: {TEST_PHRASES[1]}", f"assistant: You said: {TEST_PHRASES[1]}"]


async def spoken_turns(tmp_path: Path, provider: str, wav: Path
                       ) -> tuple[str, list[dict[str, Any]]]:
    """Two spoken turns: ``wav`` as the mic, ``--turns 2``, against a local server whose ASR
    hears the test phrases; the printed lines and the event log."""
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    async with local_server(asr_phrases=TEST_PHRASES) as srv:
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", srv.base_url, "--provider", provider,
            "--mic", str(wav), "--speaker", "none", "--turns", "2",
            "--record", str(tmp_path / "log.jsonl"), "--config", str(cfg),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, (text[-3000:], err.decode()[-3000:])
    return text, read_records(tmp_path / "log.jsonl")


def heard_and_answered(records: list[dict[str, Any]], completed: str, answered: str
                       ) -> tuple[list[str], list[str]]:
    inbound = events(records, "in")
    return ([e["transcript"] for e in inbound if e["type"] == completed],
            [e["transcript"] for e in inbound if e["type"] == answered])


@pytest.mark.slow
async def test_xai_two_spoken_turns(tmp_path: Path, two_questions_wav: Path) -> None:
    out, records = await spoken_turns(tmp_path, "xai", two_questions_wav)
    assert said(out) == SPOKEN
    users, answers = heard_and_answered(
        records, "conversation.item.input_audio_transcription.completed",
        "response.output_audio_transcript.done")
    assert users == list(TEST_PHRASES[:2])
    assert answers == [f"You said: {p}" for p in TEST_PHRASES[:2]]
    inbound = {e["type"] for e in events(records, "in")}
    assert "conversation.item.input_audio_transcription.updated" in inbound  # xAI's stream
    appended = [e for e in events(records, "out") if e.get("type") == "input_audio_buffer.append"]
    assert len(appended) > 20  # the mic, streamed
    assert first_update(records)["session"]["audio"]["input"]["transcription"]["model"] == (
        "grok-transcribe")


@pytest.mark.slow
async def test_voice_live_two_spoken_turns(tmp_path: Path, two_questions_wav: Path) -> None:
    out, records = await spoken_turns(tmp_path, "voice-live", two_questions_wav)
    assert said(out) == SPOKEN
    users, answers = heard_and_answered(
        records, "conversation.item.input_audio_transcription.completed",
        "response.audio_transcript.done")  # beta names
    assert users == list(TEST_PHRASES[:2])
    assert answers == [f"You said: {p}" for p in TEST_PHRASES[:2]]
    appended = [e for e in events(records, "out") if e.get("type") == "input_audio_buffer.append"]
    assert len(appended) > 20
