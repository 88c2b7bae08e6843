"""Every target of issue #5 item 1 against the real local server: both transports, both
dialects, OpenAI and Azure paths. Each connects (minting a key for WebRTC), sends a typed
message and gets a completed spoken response back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import until
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
@pytest.mark.parametrize(
    ("provider", "dialect"),
    [("openai", "ga"), ("openai", "beta"), ("azure", "ga"), ("azure", "beta")],
)
async def test_text_turn_on_each_target(
    server: LocalServer, tmp_path: Path, provider: str, dialect: str, transport: str
) -> None:
    if provider == "azure":
        settings = Settings(
            server="azure", azure_endpoint=server.base_url, azure_webrtc_url=server.base_url,
            api_key="azure-test-key-123456", model="my-deployment", dialect=dialect,
            transport=transport, mic="none", speaker="none",
        )
    else:
        model = "gpt-4o-realtime-preview" if dialect == "beta" else "gpt-realtime"
        settings = Settings(server=server.base_url, dialect=dialect, transport=transport,
                            api_key="sk-test-key-123456", mic="none", speaker="none", model=model)
    settings.record = tmp_path / "log.jsonl"
    runtime = Runtime(settings)
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    await runtime.start()
    try:
        assert runtime.connection.state == "connected"
        runtime.send_text("hello there")
        await until(lambda: runtime.completed_responses >= 1,
                    lambda: f"a response; last events: {[r.event['type'] for r in records][-20:]}")
    finally:
        await runtime.stop()
    kinds = [r.event["type"] for r in records if r.dir == "in"]
    assert kinds[0] == "session.created"
    assert "session.updated" in kinds
    assert "error" not in kinds, [r.event for r in records if r.event["type"] == "error"]
    if dialect == "beta":
        assert "conversation.item.created" in kinds
        assert "response.audio_transcript.done" in kinds or "response.text.done" in kinds
    else:
        assert "conversation.item.added" in kinds
    if transport == "webrtc":
        assert "output_audio_buffer.started" in kinds
    assert any(e.role == "assistant" and "hello there" in e.text.lower()
               for e in runtime.view.entries)
    log = settings.record.read_text()
    assert "key-123456" not in log  # neither key nor minted ek_ token is ever logged
    assert "ek_" not in log
