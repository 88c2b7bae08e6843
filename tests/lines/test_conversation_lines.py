"""``voicechat --no-ui`` prints the conversation by default (issue 36, item 10): ``user:`` and
``assistant:`` lines, one line per tool call, the notices whole, the usage line last, the
same kind of lines for both API families; the event flow is behind ``--events``.

End to end against the real local server (in this process, on 127.0.0.1), the installed client
as a user runs it; the line makers themselves on recorded event shapes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import VOICECHAT, run_no_ui
from tests.commands.test_headless_tools import answer_with_tool_result, mcp_json
from tests.eventlog.tool_turns import function_turn, records
from tests.helpers import local_server
from tests.server.fake_chat import calls_reply, fake_chat
from tests.speech import TEST_PHRASES
from voicechat.eventlog.record import LogRecord
from voicechat.lines.printer import conversation_line


def said(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("user:", "assistant:"))]


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_realtime_lines_are_the_conversation(tmp_path: Path, transport: str) -> None:
    async with local_server() as srv:
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, transport,
                                            "hello there\nhow are you\n", events=False)
    assert code == 0, err[-3000:]
    assert said(out) == ["user: hello there", "assistant: You said: hello there",
                         "user: how are you", "assistant: You said: how are you"]
    lines = out.splitlines()
    assert lines[-1].startswith("session usage: 2 response(s) · in ")
    assert "notice info: end of the input and of the last answer" in lines
    # no event flow: every line is the conversation, a notice, or the usage line
    assert all(line.startswith(("user:", "assistant:", "latency:", "notice ",
                                "session usage:")) for line in lines), lines
    assert len(lines) < 14, lines
    # each answer is followed by how long it took to start (issue 39)
    for answer in ("assistant: You said: hello there", "assistant: You said: how are you"):
        after = lines[lines.index(answer) + 1]
        assert after.startswith("latency: ") and " s to first audio (typed)" in after, lines
    # each piped line waits for the previous answer: nothing is ever queued behind it
    assert not any("queued" in line for line in lines), lines


async def test_the_event_flow_is_behind_events(tmp_path: Path) -> None:
    async with local_server() as srv:
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket", "hello\n",
                                            events=True)
    assert code == 0, err[-3000:]
    assert any(" <- response.done " in line for line in out.splitlines())
    assert any(":: usage resp" in line for line in out.splitlines())
    assert not any(line.startswith("assistant:") for line in out.splitlines())


async def test_gpt_live_lines_are_the_same_kind(tmp_path: Path) -> None:
    async with local_server(asr_phrases=TEST_PHRASES) as srv:  # answers typed lines by default
        code, out, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                            "hello there\n", "--api", "live", "--model",
                                            "gpt-live-1", events=False)
    assert code == 0, (out[-3000:], err[-3000:])
    assert said(out) == ["user: hello there",
                         "assistant: You said: The user typed: hello there"]
    assert out.splitlines()[-1].startswith("session usage: 1 assistant turn(s)")
    assert " <- " not in out and " -> " not in out


async def test_a_tool_call_is_one_line(tmp_path: Path) -> None:
    async with fake_chat(calls_reply([("get_weather", '{"city": "Paris"}')]),
                         answer_with_tool_result) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, out, err, _ = await run_no_ui(
            tmp_path, srv.base_url, "websocket", "what is the weather in Paris?\n",
            "--mcp-config", str(mcp_json(tmp_path)), "--tool-approval", "auto", events=False)
    assert code == 0, err[-3000:]
    tools = [line for line in out.splitlines() if line.startswith("tool ")]
    assert len(tools) == 1 and tools[0].startswith("tool get_weather (mcp:weather): ok in ")
    assert said(out)[-1] == "assistant: Here is what I found: Sunny and 21 degrees in Paris"


def test_events_without_no_ui_is_a_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    proc = subprocess.run([str(VOICECHAT), "--events", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "--events prints the event flow of --no-ui" in proc.stderr
    assert "add --no-ui or drop --events" in proc.stderr


def line(direction: str, event: dict[str, Any]) -> str | None:
    return conversation_line(LogRecord(t=1.0, ts="", dir=direction, event=event))  # type: ignore[arg-type]


def test_the_line_makers_on_recorded_shapes() -> None:
    # a recorded function-call turn: no user or assistant words in it, so no lines but none
    # of its events is mistaken for one
    assert [conversation_line(r) for r in records(function_turn())] == \
        [None] * len(records(function_turn()))
    assert line("in", {"type": "conversation.item.input_audio_transcription.completed",
                       "item_id": "i1", "transcript": "turn on the lights"}) \
        == "user: turn on the lights"
    assert line("in", {"type": "response.audio_transcript.done", "transcript": "Done."}) \
        == "assistant: Done."  # the beta dialect's name
    assert line("in", {"type": "error", "error": {"code": "invalid_value", "message": "bad"}}) \
        == "error (invalid_value): bad"
    assert line("out", {"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [
            {"type": "input_image", "image_url": "data:…"},
            {"type": "input_text", "text": "what is it?"}]}}) == "user: [picture] what is it?"
    assert line("out", {"type": "conversation.item.create", "item": {
        "type": "function_call_output", "call_id": "c1", "output": "x"}}) is None
    assert line("in", {"type": "response.output_item.done", "item": {
        "type": "mcp_call", "server_label": "deepwiki", "name": "ask", "error": None}}) \
        == "tool deepwiki.ask (hosted mcp): ok"
    assert line("local", {"type": "local.live.turn", "speaker": "assistant", "text": "Hi\x1b",
                          "interrupted": True}) == "assistant (interrupted): Hi\\x1b"
    assert line("in", {"type": "response.done", "response": {
        "id": "r1", "status": "cancelled", "status_details": {
            "type": "cancelled", "reason": "turn_detected"}}}) \
        == "assistant: (answer cancelled: turn_detected)"
    assert line("in", {"type": "response.done", "response": {"id": "r1",
                                                            "status": "completed"}}) is None
    assert line("out", {"type": "session.instructions.append",
                        "content": "Be brief."}) is None  # not a typed line


async def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    """``voicechat --no-ui | head -1``: the run stops like any filter, no traceback."""
    import asyncio
    import os

    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    async with local_server() as srv:
        read, write = os.pipe()
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", srv.base_url, "--transport", "websocket",
            "--mic", "none", "--speaker", "none", "--config", str(cfg),
            stdin=asyncio.subprocess.PIPE, stdout=write, stderr=asyncio.subprocess.PIPE,
            env=env)
        os.close(write)
        assert proc.stdin is not None
        proc.stdin.write(b"one\ntwo\nthree\n")
        await proc.stdin.drain()
        proc.stdin.close()
        with os.fdopen(read, "rb") as reader:
            first = await asyncio.to_thread(reader.readline)
        # the reader is gone: the next line the run prints meets a broken pipe
        err = await asyncio.wait_for(proc.stderr.read(), 60) if proc.stderr else b""
        code = await asyncio.wait_for(proc.wait(), 60)
    assert first.startswith(b"user: one"), first
    assert b"Traceback" not in err, err.decode()[-2000:]
    assert code == 0, err.decode()[-2000:]
