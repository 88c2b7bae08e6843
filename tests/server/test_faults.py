"""The fault suite: hostile and clumsy input must meet a bounded server that answers with errors.

Issue 14: a client that stops reading, floods of calls that never connect, input nested deeper
than anything real, malformed REST bodies, cross-site pages and forged log lines. Each test here
failed against the server before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.helpers import local_server, until

BIG_TEXT = "x" * (512 * 1024)


async def _receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=40)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return dict(json.loads(msg.data))


async def test_client_that_stops_reading_is_closed_with_an_error_not_buffered() -> None:
    limit = 2 * 1024 * 1024
    retrieves = 100  # ~50 MB of retrieved items: far more than the socket buffers hold
    async with (
        local_server(send_queue_bytes=limit) as srv,
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{srv.ws_url}/realtime", headers={"Authorization": "Bearer sk-test"}, max_msg_size=0
        ) as ws,
    ):
        assert (await _receive_json(ws))["type"] == "session.created"
        item = {
            "id": "item_big",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": BIG_TEXT}],
        }
        await ws.send_json({"type": "conversation.item.create", "item": item})
        while (await _receive_json(ws))["type"] != "conversation.item.done":
            pass
        # From here on the client sends but never reads.
        for _ in range(retrieves):
            await ws.send_json({"type": "conversation.item.retrieve", "item_id": "item_big"})
        await until(lambda: srv.counters["slow_readers_closed"] == 1, "the slow reader shed")
        retrieved = 0
        error: dict[str, Any] | None = None
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(msg.data)
            if event["type"] == "conversation.item.retrieved":
                retrieved += 1
            elif event["type"] == "error":
                error = event["error"]
        assert ws.close_code == 1008
        assert error is not None and error["code"] == "client_not_reading"
        assert retrieved < retrieves  # the rest was dropped, not queued without bound
