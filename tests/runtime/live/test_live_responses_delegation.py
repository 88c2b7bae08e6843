"""Responses delegation with the user's tools: ``live_delegation = "responses"`` offers the
configured tools to the backend model (the local server's ``chat:`` responder, a fake
OpenAI-compatible endpoint standing in for the model); its call runs the user's command tool
under the approval rule, the output goes back as ``response.item.create`` and one
``response.create``, and the backend's answer is spoken."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import local_server, until
from tests.server.fake_chat import calls_reply, fake_chat, text_reply
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime

WEATHER = "import json, sys; a = json.load(sys.stdin); print('sunny in ' + a['city'])"


async def test_the_backend_calls_the_users_tool_and_its_answer_is_spoken(
    tmp_path: Path,
) -> None:
    wav = speech_wav(tmp_path / "ask.wav", [TEST_PHRASES[1]], tail_s=1.0)
    tools = {"get_weather": {
        "command": [sys.executable, "-c", WEATHER], "description": "Weather for a city.",
        "parameters": '{"type": "object", "properties": {"city": {"type": "string"}}}'}}
    settings = Settings(server="local", api="live", model="gpt-live-1", transport="websocket",
                        mic=str(wav), speaker="none", tool_approval="auto", tools=tools,
                        live_delegation="responses", live_backend_model="gpt-5.5")
    records: list[LogRecord] = []

    def of(kind: str, direction: str | None = None) -> list[dict]:  # type: ignore[type-arg]
        return [r.event for r in records
                if r.event.get("type") == kind and direction in (None, r.dir)]

    async with (
        fake_chat(calls_reply([("get_weather", '{"city": "Paris"}')], preamble="Let me check."),
                  text_reply("Paris will be sunny.")) as chat,
        local_server(responder=f"chat:{chat.url}", asr_phrases=TEST_PHRASES) as srv,
    ):
        runtime = LiveRuntime(settings, local_server=srv)
        runtime.subscribe(records.append)
        await runtime.start()
        try:
            await until(lambda: "Paris will be sunny" in "".join(
                e["delta"] for e in of("session.output_transcript.delta", "in")),
                "the backend's answer spoken")
        finally:
            await runtime.stop()
        offered = chat.requests[0]["tools"][0]["function"]
    [start] = of("session.start", "out")
    delegation = start["session"]["delegation"]
    assert delegation["type"] == "responses" and delegation["responses"]["model"] == "gpt-5.5"
    assert [t["name"] for t in delegation["responses"]["tools"]] == ["get_weather"]
    assert offered["name"] == "get_weather"
    assert of("local.tool.approved")[0]["name"] == "get_weather"
    [output] = [e for e in of("response.item.create", "out")
                if e["item"]["type"] == "function_call_output"]
    assert output["item"]["output"].strip() == "sunny in Paris"
    creates = of("response.create", "out")
    assert len(creates) == 1
    assert of("session.delegation.created", "in")[0]["delegation"]["target"] == "responses"
