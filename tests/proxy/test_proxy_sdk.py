"""The official openai SDK (GA and beta) through the proxy to our real local server.

The app changes only its base URL; what it gets back is what the server sent, and every event
both ways shows in the observer feed under its session, with the doctor's rules running live.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from openai import AsyncOpenAI

from tests.helpers import local_server, until
from tests.proxy.harness import Running, running_proxy
from voicechat.observe.feed import FeedDropped

KEY = "sk-proxy-test-0123456789abcdefSECRET"


def client(proxy: Running, key: str = KEY) -> AsyncOpenAI:
    return AsyncOpenAI(api_key=key, base_url=f"{proxy.base}/v1",
                       websocket_base_url=f"{proxy.ws_base}/v1")


async def text_turn(conn: Any, text: str) -> list[str]:
    """One text question and its answer's event types, as the app saw them."""
    await conn.conversation.item.create(item={
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    await conn.response.create()
    seen: list[str] = []
    async for event in conn:
        seen.append(event.type)
        if event.type == "response.done":
            return seen
    raise AssertionError(f"the connection ended first: {seen}")


async def test_ga_sdk_session_is_relayed_and_observed() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        async with client(proxy).realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            app_saw = await text_turn(conn, "hello there")
        opened = await proxy.session_opened()
        closed = await proxy.closed(opened.session)
    assert opened.kind == "websocket" and opened.session == "ws-1"
    assert "GA" in opened.label and "gpt-realtime" in opened.label and KEY not in opened.label
    assert closed.by == "app"
    seen_in = proxy.seen.types("ws-1", "in")
    assert seen_in[0] == "session.created"
    # every event the app received went through the tap, in order
    assert [t for t in seen_in if t in app_saw] == app_saw[-len([t for t in seen_in
                                                                  if t in app_saw]):]
    assert {"session.update", "conversation.item.create", "response.create"} <= set(
        proxy.seen.types("ws-1", "out"))


async def test_beta_sdk_session_is_relayed_in_its_dialect() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        async with client(proxy).beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            await conn.session.update(session={"modalities": ["text"]})
            app_saw = await text_turn(conn, "hello there")
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
    assert "beta" in opened.label
    assert "response.text.delta" in app_saw  # the upstream answered in beta: the header passed
    assert "response.text.delta" in proxy.seen.types(opened.session, "in")


async def test_cancel_with_no_response_is_a_live_problem_while_the_session_is_open() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        async with client(proxy).realtime.connect(model="gpt-realtime") as conn:
            await conn.response.cancel()
            problem = await until(lambda: proxy.seen.problems("ws-1"),
                                  "the cancel-without-response problem while the session is open")
            assert proxy.seen.closed("ws-1") is None
        await proxy.closed("ws-1")
    assert problem[0].rule_id == "cancel-without-response"


async def test_subprotocol_key_auth_reaches_a_keyed_server_and_a_wrong_key_gets_its_status(
) -> None:
    async with local_server(api_key=KEY) as srv, running_proxy(srv.base_url) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}/v1/realtime?model=gpt-realtime"
        async with http.ws_connect(url, protocols=("realtime", f"openai-insecure-api-key.{KEY}")
                                   ) as ws:
            assert ws.protocol == "realtime"  # the upstream's choice reached the app
            first = await ws.receive_json(timeout=30)
            assert first["type"] == "session.created"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url, protocols=("realtime", "openai-insecure-api-key.sk-wrong"))
        assert refused.value.status == 401
        said = await until(lambda: [e for e in proxy.seen.events("proxy")
                                    if "refused" in str(e.get("message"))], "the refusal line")
        assert "401" in str(said[0]["message"])


async def test_a_slow_consumer_loses_counted_items_and_never_stalls_the_relay() -> None:
    async with local_server() as srv, running_proxy(srv.base_url, feed_size=3,
                                                    consume=False) as proxy:
        async with client(proxy).realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            for question in ("one", "two", "three"):
                app_saw = await text_turn(conn, question)
                assert app_saw[-1] == "response.done"
        await until(lambda: proxy.feed.dropped > 10, "drops to be counted")
        first = proxy.feed.get_nowait()
    assert isinstance(first, FeedDropped) and first.count == proxy.feed.dropped


async def test_the_app_dropping_is_named_and_other_sessions_go_on() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}/v1/realtime?model=gpt-realtime"
        headers = {"Authorization": f"Bearer {KEY}"}
        async with http.ws_connect(url, headers=headers) as keeper:
            assert (await keeper.receive_json(timeout=30))["type"] == "session.created"
            dropper = await http.ws_connect(url, headers=headers)
            assert (await dropper.receive_json(timeout=30))["type"] == "session.created"
            transport = dropper._response.connection.transport  # type: ignore[union-attr]
            assert transport is not None
            transport.abort()  # the app vanishes: no close frame
            closed = await proxy.closed("ws-2")
            assert closed.by == "app" and "dropped" in closed.reason
            await keeper.send_json({"type": "session.update",
                                    "session": {"type": "realtime", "instructions": "still here"}})
            reply = await keeper.receive_json(timeout=30)
            assert reply["type"] == "session.updated"
        assert (await proxy.closed("ws-1")).by == "app"


async def test_text_and_binary_frames_relay_in_order() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy, \
            aiohttp.ClientSession() as http:
        url = f"{proxy.ws_base}/v1/realtime?model=gpt-realtime"
        async with http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
            await ws.receive_json(timeout=30)
            await ws.send_bytes(b"\x00\x01binary")
            await ws.send_str("not json")
            await until(lambda: len(proxy.seen.events("ws-1", "local")) >= 2, "two notices")
        notes = [str(e["message"]) for e in proxy.seen.events("ws-1", "local")]
    assert any("binary frame of 8 bytes" in n for n in notes)
    assert any("not a JSON object" in n for n in notes)


async def test_concurrent_sessions_are_numbered_apart() -> None:
    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        oai = client(proxy)
        async with oai.realtime.connect(model="gpt-realtime") as a, \
                oai.realtime.connect(model="gpt-realtime") as b:
            await asyncio.gather(
                a.session.update(session={"type": "realtime", "output_modalities": ["text"]}),
                b.session.update(session={"type": "realtime", "output_modalities": ["text"]}))
            await asyncio.gather(text_turn(a, "one"), text_turn(b, "two"))
        await proxy.closed("ws-1")
        await proxy.closed("ws-2")
    assert proxy.seen.types("ws-1", "in").count("response.done") == 1
    assert proxy.seen.types("ws-2", "in").count("response.done") == 1


@pytest.mark.parametrize("path", [
    "/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-realtime-preview",
    "/openai/v1/realtime?model=gpt-realtime",
])
async def test_azure_paths_with_the_api_key_header_are_relayed(path: str) -> None:
    async with local_server(api_key=KEY) as srv, running_proxy(srv.base_url) as proxy, \
            aiohttp.ClientSession() as http, \
            http.ws_connect(f"{proxy.ws_base}{path}", headers={"api-key": KEY}) as ws:
        assert (await ws.receive_json(timeout=30))["type"] == "session.created"
        opened = await proxy.session_opened()
    assert "Azure" in opened.label and KEY not in opened.label
    assert ("beta" in opened.label) == path.startswith("/openai/realtime")


def test_hop_by_hop_headers_stay_on_their_hop() -> None:
    from multidict import CIMultiDict

    from voicechat.proxy.headers import credentials_only, end_to_end

    headers = CIMultiDict([("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"),
                           ("Keep-Alive", "timeout=5"), ("Host", "proxy"), ("Location", "/x"),
                           ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                           ("Authorization", "Bearer k"), ("Sec-WebSocket-Key", "abc")])
    passed = end_to_end(headers)
    assert set(passed) == {"Location", "Set-Cookie", "Authorization", "Sec-WebSocket-Key"}
    assert passed.getall("Set-Cookie") == ["a=1", "b=2"]
    assert "Sec-WebSocket-Key" not in end_to_end(headers, websocket=True)
    assert credentials_only(headers) == {"Authorization": "Bearer k"}


async def test_each_relayed_answer_is_timed_live_and_agrees_with_the_records() -> None:
    """Issue 39: the proxy shows each answer's latency as it happens (``latency [ws-1] …``
    in the lines), the figure the session's own records give: the app's response.create as
    it passed to the first audio delta as it came back."""
    from voicechat.observe.feed import ObservedEvent, TurnTimed
    from voicechat.observe.printer import item_lines

    async with local_server() as srv, running_proxy(srv.base_url) as proxy:
        async with client(proxy).realtime.connect(model="gpt-realtime") as conn:
            for question in ("hello there", "how are you"):
                await text_turn(conn, question)
        opened = await proxy.session_opened()
        await proxy.closed(opened.session)
        await until(lambda: len([i for i in proxy.seen.items if isinstance(i, TurnTimed)]) >= 2,
                    "two timed answers")
    timed = [i for i in proxy.seen.items if isinstance(i, TurnTimed)]
    truth: list[float] = []
    asked: float | None = None
    for item in proxy.seen.items:
        if not isinstance(item, ObservedEvent):
            continue
        record = item.record
        if record.dir == "out" and record.event.get("type") == "response.create":
            asked = record.t
        elif (asked is not None and record.dir == "in"
              and record.event.get("type") == "response.output_audio.delta"):
            truth.append((record.t - asked) * 1000)
            asked = None
    assert [t.first_audio_ms is not None for t in timed] == [True, True]
    for got, want in zip([t.first_audio_ms or 0.0 for t in timed], truth, strict=True):
        assert abs(got - want) <= 30
    line = item_lines(timed[0])[0]
    assert line.startswith("latency [ws-1] ") and "s to first audio (typed)" in line
