"""The local server as LiveKit's offline peer (issue 56): "not set" nulls answered like absent
keys, and every refused client event named in ``voicechat serve``'s log at its default level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.helpers import local_server, until
from tests.protocol.test_unset_nulls import LIVEKIT_REPLY
from tests.runtime.server_process import ServerProcess
from tests.server.conftest import ws_peer
from tests.server.test_ws import user_text
from voicechat.server.app import LocalServer


async def test_livekits_reply_request_is_answered_with_the_sessions_settings(
    server: LocalServer,
) -> None:
    async with ws_peer(server) as peer:
        await peer.send(user_text("What is the weather"))
        await peer.log.wait_for("conversation.item.added")
        await peer.send(LIVEKIT_REPLY)
        created = await peer.log.wait_for("response.created")
        done = await peer.log.wait_for("response.done")
        assert not peer.log.of("error")
        # "not set" means the session's value, as an absent key would: never an echoed null
        assert created["response"]["max_output_tokens"] == "inf"
        assert created["response"]["metadata"] == LIVEKIT_REPLY["response"]["metadata"]
        assert done["response"]["status"] == "completed"
        spoken = done["response"]["output"][0]["content"][0]
        assert spoken["transcript"] == "You said: What is the weather"


async def test_a_null_tool_choice_keeps_the_sessions_choice(tmp_path: Path) -> None:
    """Session ``tool_choice: "none"`` and a reply request with ``tool_choice: null`` (and every
    other field null): the script's call is dropped as "none" says. Read as a value, the null
    would have fallen back to "auto" and the call would have gone out."""
    script = tmp_path / "replies.txt"
    script.write_text('Let me check. @call get_weather {"city": "Paris"}\n', encoding="utf-8")
    tool = {"type": "function", "name": "get_weather", "description": "Weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    async with local_server(responder=f"script:{script}") as srv, ws_peer(srv) as peer:
        await peer.send({"type": "session.update",
                         "session": {"type": "realtime", "tools": [tool],
                                     "tool_choice": "none"}})
        await peer.log.wait_for("session.updated")
        await peer.send(user_text("What is the weather in Paris"))
        await peer.send({"type": "response.create",
                         "response": {"tools": None, "tool_choice": None,
                                      "output_modalities": None, "conversation": None,
                                      "input": None, "audio": None, "reasoning": None,
                                      "parallel_tool_calls": None,
                                      "max_output_tokens": None}})
        done = await peer.log.wait_for("response.done")
        assert not peer.log.of("error")
        assert done["response"]["conversation_id"]  # in the conversation: "auto", as unset
        kinds = [item["type"] for item in done["response"]["output"]]
        assert kinds == ["message"], kinds
        assert done["response"]["output"][0]["content"][0]["transcript"] == "Let me check."


async def _send(port: int, events: list[dict[str, Any] | str]) -> list[dict[str, Any]]:
    """Send ``events`` on one WebSocket session and return what came back (until the last
    one's answer: an error or a response.done)."""
    got: list[dict[str, Any]] = []
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    async with aiohttp.ClientSession() as http, http.ws_connect(
        url, headers={"Authorization": "Bearer sk-test"}
    ) as ws:
        for event in events:
            await ws.send_str(event if isinstance(event, str) else json.dumps(event))
        async for msg in ws:
            got.append(json.loads(msg.data))
            if sum(e["type"] in ("error", "response.done") for e in got) == len(events):
                break
    return got


async def test_serve_names_each_refused_event_at_its_default_level(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "serve.log", "--voice", "tone")
    await server.start()
    try:
        got = await _send(server.port, [
            {"type": "response.create", "event_id": "evt_bad",
             "response": {"instructions": 5}},
            "{not json",
            LIVEKIT_REPLY,
        ])
        errors = [e["error"] for e in got if e["type"] == "error"]
        assert [e["code"] for e in errors] == ["invalid_type", "invalid_json"]
        await until(lambda: "closed after" in server.log.read_text(), "the session closed")
    finally:
        await server.kill()
    log = server.log.read_text()
    lines = [line for line in log.splitlines() if " refused " in line]
    assert len(lines) == 2, log  # LiveKit's request was not refused
    assert "refused response.create (evt_bad): [invalid_type] response.instructions: " \
           "Invalid type for 'response.instructions': expected a string, but got an integer " \
           "instead." in lines[0]
    assert "refused (not JSON): [invalid_json]" in lines[1]
    session = lines[0].split("session ", 1)[1].split(" ", 1)[0]
    assert session.startswith("sess_") and f"session {session} closed after" in log
    assert "errors=2" in log
