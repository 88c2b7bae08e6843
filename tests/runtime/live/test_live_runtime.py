"""The GPT-Live runtime in-process against the real local server: Azure's paths on both
transports, the mic streaming silence when there is none, a graceful close, and the approval
rule on a client delegation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import until
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer


def recorded(runtime: LiveRuntime) -> list[LogRecord]:
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    return records


def of(records: list[LogRecord], kind: str, direction: str | None = None) -> list[dict[str, Any]]:
    return [r.event for r in records
            if r.event.get("type") == kind and (direction is None or r.dir == direction)]


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
async def test_azure_paths_start_stream_and_close(server: LocalServer, transport: str) -> None:
    settings = Settings(server="azure", azure_endpoint=server.base_url, api_key="azure-key",
                        model="gpt-live-1", api="live", transport=transport, mic="none",
                        speaker="none")
    runtime = LiveRuntime(settings)
    records = recorded(runtime)
    await runtime.start()
    try:
        await until(lambda: runtime.live_view.state == "active", "session.started")
        connecting = of(records, "local.transport.state")[0]
        assert connecting["detail"].endswith(f"{server.base_url[len('http'):]}"
                                             "/openai/v1/live/sessions")
        # no mic device: zeros stream at the mic's pace from session.started on
        start = runtime.mic_frames_sent
        await until(lambda: runtime.mic_frames_sent >= start + 25, "half a second of silence")
        if transport == "websocket":
            await until(lambda: of(records, "session.input_audio.append", "out"),
                        "the silence as appends")
    finally:
        await runtime.stop()
    closed = of(records, "session.closed", "in")
    assert closed and closed[0]["reason"] == "close_requested"
    assert runtime.live_view.state == "closed" and runtime.exit_code == 0
    assert "azure-key" not in str([r.event for r in records])


@pytest.mark.script("One moment. @call lookup {}", "Done.")
async def test_a_denied_delegate_tool_answers_the_delegation_with_the_refusal(
    server: LocalServer, tmp_path: Path
) -> None:
    wav = speech_wav(tmp_path / "ask.wav", [TEST_PHRASES[0]], tail_s=2.0)
    settings = Settings(server="local", model="gpt-live-1", api="live", transport="websocket",
                        mic=str(wav), speaker="none", tool_approval="deny",
                        tools={"delegate": {"command": [sys.executable, "-c", "print('ran')"]}})
    runtime = LiveRuntime(settings, local_server=server)
    records = recorded(runtime)
    await runtime.start()
    try:
        created = await until(lambda: of(records, "session.delegation.created", "in"),
                              "the delegation")
        answer = await until(lambda: of(records, "session.commentary.append", "out"),
                             "the delegation's answer")
    finally:
        await runtime.stop()
    assert of(records, "local.tool.denied")[0]["name"] == "delegate"
    assert not of(records, "local.tool.approved")
    assert answer[0]["delegation_id"] == created[0]["delegation"]["id"]
    assert "did not allow delegate" in answer[0]["content"]
    assert "ran" not in answer[0]["content"]


@pytest.mark.script("One moment. @call lookup {}", "Done.")
async def test_a_delegation_that_times_out_gets_the_fallback_and_its_tool_is_stopped(
    server: LocalServer, tmp_path: Path
) -> None:
    from dataclasses import replace

    from voicechat.runtime.live import live_policy_for

    wav = speech_wav(tmp_path / "ask.wav", [TEST_PHRASES[0]], tail_s=2.0)
    settings = Settings(server="local", model="gpt-live-1", api="live", transport="websocket",
                        mic=str(wav), speaker="none", tool_approval="auto",
                        tools={"delegate": {"command": [sys.executable, "-c",
                                                        "import time; time.sleep(60)"]}})
    runtime = LiveRuntime(settings, local_server=server)
    runtime.driver.reset_policy(replace(live_policy_for(settings), delegation_timeout_ms=1500))
    records = recorded(runtime)
    await runtime.start()
    try:
        await until(lambda: of(records, "local.tool.approved"), "the delegate tool started")
        answer = await until(lambda: of(records, "session.commentary.append", "out"),
                             "the fallback answer")
        await until(lambda: not runtime.tools.runner._tasks, "the tool's task cancelled")
    finally:
        await runtime.stop()
    assert answer[0]["content"] == runtime.driver.policy.fallback_answer
    assert not of(records, "local.tool.finished")  # cancelled, never answered twice
