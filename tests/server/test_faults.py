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


def deep_tools_session(levels: int) -> str:
    """A GA session whose tool ``parameters`` nest ``levels`` JSON objects deep, as JSON text
    (built as text: the stdlib encoder itself cannot write what the attacker sends)."""
    schema = '{"type":"object","properties":{"x":' * (levels // 2) + '{"type":"string"}'
    schema += "}}" * (levels // 2)
    return (
        '{"type":"realtime","tools":[{"type":"function","name":"f","description":"d",'
        f'"parameters":{schema}}}]}}'
    )


async def test_deeply_nested_session_update_is_an_error_event_and_the_session_lives(
    caplog: Any,
) -> None:
    async with (
        local_server() as srv,
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{srv.ws_url}/realtime", headers={"Authorization": "Bearer sk-test"}
        ) as ws,
    ):
        assert (await _receive_json(ws))["type"] == "session.created"
        session = deep_tools_session(500)
        await ws.send_str(f'{{"type":"session.update","event_id":"evt_deep","session":{session}}}')
        error = await _receive_json(ws)
        assert error["type"] == "error", error
        assert error["error"]["event_id"] == "evt_deep"
        assert "nested too deeply" in error["error"]["message"]
        # the session is still alive and a sane update works
        await ws.send_str(f'{{"type":"session.update","session":{deep_tools_session(6)}}}')
        assert (await _receive_json(ws))["type"] == "session.updated"
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


async def _post(
    http: aiohttp.ClientSession, url: str, data: bytes | str, ctype: str
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": "Bearer sk-test", "Content-Type": ctype}
    async with http.post(url, data=data, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_malformed_rest_bodies_are_openai_shaped_400s(caplog: Any) -> None:
    deep_json = "[" * 100_000 + "]" * 100_000
    deep_session = f'{{"session":{deep_tools_session(500)}}}'
    async with local_server() as srv, aiohttp.ClientSession() as http:
        secrets = f"{srv.base_url}/v1/realtime/client_secrets"
        calls = f"{srv.base_url}/v1/realtime/calls"
        cases = [
            (secrets, deep_session, "application/json"),
            (secrets, deep_json, "application/json"),
            (secrets, b'{"session": "\xff\xfe"}', "application/json"),
            (calls, b"v=0\r\nm=audio \xff\xfe\r\n", "application/sdp"),
            (calls, b"--x\r\nContent-Disposition: form-data; name=sdp\r\n\r\nv=0\r\n--x--\r\n",
             "multipart/form-data"),  # no boundary parameter
        ]
        for url, body, ctype in cases:
            status, answer = await _post(http, url, body, ctype)
            assert status == 400, (url, ctype, status, answer)
            assert set(answer["error"]) >= {"message", "type", "param", "code"}
            assert answer["error"]["message"]
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
