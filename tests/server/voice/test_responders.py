"""Responders: echo, script files, and a streaming chat endpoint (a fake one on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from voicechat.server.voice.responders import (
    EMPTY_INPUT_REPLY,
    SCRIPT_END_REPLY,
    ChatResponder,
    EchoResponder,
    ResponderError,
    ScriptResponder,
    chat_completions_url,
    make_responder,
    word_chunks,
)


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [chunk async for chunk in stream]


# --- echo and script --------------------------------------------------------------------------


async def test_echo_says_back_what_it_heard_in_word_chunks() -> None:
    chunks = await collect(make_responder("echo").reply([], "  turn on   the lights "))
    assert "".join(chunks) == "You said: turn on the lights"
    assert chunks == ["You ", "said: ", "turn ", "on ", "the ", "lights"]


async def test_echo_with_nothing_heard_asks_again() -> None:
    assert "".join(await collect(EchoResponder().reply([], "   "))) == EMPTY_INPUT_REPLY


async def test_script_from_text_file_replies_in_order_then_says_it_ended(tmp_path: Path) -> None:
    f = tmp_path / "script.txt"
    f.write_text("# a demo\nHello there.\n\nThe answer is forty two.\n", encoding="utf-8")
    r = make_responder(f"script:{f}")
    replies = ["".join(await collect(r.reply([], "anything"))) for _ in range(4)]
    assert replies == [
        "Hello there.",
        "The answer is forty two.",
        SCRIPT_END_REPLY,
        SCRIPT_END_REPLY,
    ]


async def test_script_from_json_list(tmp_path: Path) -> None:
    f = tmp_path / "script.json"
    f.write_text(json.dumps(["First, a line: with # inside.", "Second."]), encoding="utf-8")
    r = make_responder(f"script:{f}")
    assert "".join(await collect(r.reply([], ""))) == "First, a line: with # inside."
    assert "".join(await collect(r.reply([], ""))) == "Second."


def test_script_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ResponderError, match=r"cannot read the responder script.*missing\.txt"):
        make_responder(f"script:{tmp_path / 'missing.txt'}")
    bad = tmp_path / "bad.json"
    bad.write_text('["unclosed"', encoding="utf-8")
    with pytest.raises(ResponderError, match="not valid JSON"):
        ScriptResponder.from_file(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ResponderError, match="list of strings"):
        ScriptResponder.from_file(wrong)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n# only a comment\n", encoding="utf-8")
    with pytest.raises(ResponderError, match="no replies"):
        ScriptResponder.from_file(empty)


def test_unknown_responder_spec_lists_the_choices() -> None:
    for spec in ("parrot", "script:", "chat:", "echo:x"):
        with pytest.raises(ResponderError, match="'echo', 'script:FILE' or 'chat:URL'"):
            make_responder(spec)
    with pytest.raises(ResponderError, match="http://"):
        make_responder("chat:localhost:8080")


def test_word_chunks_concatenate_back() -> None:
    for text in ["", "one", " lead and trail ", "a\nb\tc", "Hello,  world!"]:
        assert "".join(word_chunks(text)) == text
    assert word_chunks("Hello,  world!") == ["Hello,  ", "world!"]


def test_chat_url_forms() -> None:
    assert chat_completions_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_completions_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert (
        chat_completions_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"
    )
    assert chat_completions_url("http://h:1/api/v2") == "http://h:1/api/v2/chat/completions"


# --- chat against a fake OpenAI-compatible server ---------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def fake_chat() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a fake chat server on 127.0.0.1 (free port) with the given handler; yields its URL."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for runner in runners:
        await runner.cleanup()


def sse_body(deltas: list[str]) -> bytes:
    events = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    events += [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    text = "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events)
    return (": keep-alive\n\n" + text + "data: [DONE]\n\n").encode()


async def test_chat_streams_deltas_and_sends_history_model_and_key(
    fake_chat: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    deltas = ["The ", "moon is about ", "384,400 km", " away. ", "Café ☕."]

    async def handler(request: web.Request) -> web.StreamResponse:
        seen["body"] = await request.json()
        seen["auth"] = request.headers.get("Authorization")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        body = sse_body(deltas)
        for i in range(0, len(body), 7):  # split mid-line, mid-CRLF and mid-UTF-8 character
            await resp.write(body[i : i + 7])
            await asyncio.sleep(0)
        # Anything after [DONE] must be ignored.
        await resp.write(b'data: {"choices":[{"delta":{"content":"IGNORED"}}]}\n\n')
        return resp

    url = await fake_chat(handler)
    monkeypatch.setenv("VOICECHAT_CHAT_MODEL", "tiny-local-model")
    monkeypatch.setenv("VOICECHAT_CHAT_API_KEY", "sk-test-secret")
    responder = make_responder(f"chat:{url}")
    history = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "how far is the moon"},
    ]
    chunks = await collect(responder.reply(history, "how far is the moon"))
    assert chunks == deltas
    assert seen["auth"] == "Bearer sk-test-secret"
    body = seen["body"]
    assert body["model"] == "tiny-local-model" and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][-1]["content"] == "how far is the moon"  # not duplicated
    assert "sk-test-secret" not in repr(responder)


async def test_chat_appends_the_user_turn_when_history_lacks_it(
    fake_chat: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        seen["body"] = await request.json()
        seen["auth"] = request.headers.get("Authorization")
        return web.Response(body=sse_body(["ok"]), content_type="text/event-stream")

    monkeypatch.delenv("VOICECHAT_CHAT_API_KEY", raising=False)
    url = await fake_chat(handler)
    chunks = await collect(ChatResponder(url, system_prompt="").reply([], "new question"))
    assert chunks == ["ok"]
    assert seen["body"]["messages"] == [{"role": "user", "content": "new question"}]
    assert seen["auth"] is None  # no key configured: no Authorization header


async def test_chat_http_error_is_clear_and_never_shows_the_key(
    fake_chat: Callable[[Handler], Awaitable[str]],
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        return web.json_response({"error": {"message": f"bad key {auth}"}}, status=401)

    url = await fake_chat(handler)
    responder = ChatResponder(url, api_key="sk-very-secret")
    with pytest.raises(ResponderError) as info:
        await collect(responder.reply([], "hello"))
    message = str(info.value)
    assert "HTTP 401" in message and "VOICECHAT_CHAT_API_KEY" in message
    assert "sk-very-secret" not in message


async def test_chat_error_event_in_the_stream_is_raised(
    fake_chat: Callable[[Handler], Awaitable[str]],
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = b'data: {"error": {"message": "model overloaded"}}\n\n'
        return web.Response(body=body, content_type="text/event-stream")

    url = await fake_chat(handler)
    with pytest.raises(ResponderError, match="model overloaded"):
        await collect(ChatResponder(url).reply([], "hello"))


async def test_chat_unreachable_endpoint_is_named() -> None:
    # Bind a socket to learn a free port, then close it: nothing listens there.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(
        ResponderError, match=rf"cannot reach the chat endpoint http://127.0.0.1:{port}"
    ):
        await collect(ChatResponder(f"http://127.0.0.1:{port}/v1").reply([], "hello"))
