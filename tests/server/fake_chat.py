"""A fake OpenAI-compatible chat endpoint on 127.0.0.1 for tool turns (a model cannot run here).

It records every request body and answers each with the next scripted stream, shaped like
OpenAI's own chat-completions streams: ``chat.completion.chunk`` objects, the role in the first
delta, a call's ``id``, ``type`` and ``name`` in its first fragment with empty ``arguments``,
then argument pieces under the same ``index``, ``finish_reason`` ``"tool_calls"`` or
``"stop"``, and ``data: [DONE]``. The stream is written in small byte slices so the server's
SSE parser meets split lines.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
#: one reply: the chunks to stream, or a function of the request body that gives them
Reply = list[JSON] | Callable[[JSON], list[JSON]]


def _chunk(delta: JSON, finish: str | None = None) -> JSON:
    return {
        "id": "chatcmpl-Bz9fake0000000000000000000",
        "object": "chat.completion.chunk",
        "created": 1763900000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def text_reply(text: str) -> list[JSON]:
    """A plain answer, streamed a few characters at a time."""
    chunks = [_chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [_chunk({"content": text[i : i + 7]}) for i in range(0, len(text), 7)]
    return [*chunks, _chunk({}, "stop")]


def calls_reply(calls: list[tuple[str, str]], preamble: str = "", piece: int = 5) -> list[JSON]:
    """``calls`` (name, arguments) after an optional spoken ``preamble``; arguments in pieces."""
    chunks = [
        _chunk({"role": "assistant", "content": None if not preamble else "", "refusal": None})
    ]
    if preamble:
        chunks += [_chunk({"content": preamble[i : i + 7]}) for i in range(0, len(preamble), 7)]
    for index, (name, arguments) in enumerate(calls):
        first = {
            "index": index,
            "id": f"call_chat{index}abcdefghijklmnopq",
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(_chunk({"tool_calls": [first]}))
        for i in range(0, len(arguments), piece):
            fragment = {"index": index, "function": {"arguments": arguments[i : i + piece]}}
            chunks.append(_chunk({"tool_calls": [fragment]}))
    return [*chunks, _chunk({}, "tool_calls")]


@dataclass
class FakeChat:
    """The endpoint: ``url`` for ``chat:URL``, the ``requests`` it got, the ``replies`` to give."""

    replies: list[Reply]
    requests: list[JSON] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        reply = self.replies.pop(0) if self.replies else text_reply("That is all I know.")
        chunks = reply(body) if callable(reply) else reply
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        raw = data.encode()
        for i in range(0, len(raw), 97):
            await resp.write(raw[i : i + 97])
            await asyncio.sleep(0)
        return resp


@asynccontextmanager
async def fake_chat(*replies: Reply) -> AsyncIterator[FakeChat]:
    fake = FakeChat(list(replies))
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    try:
        yield fake
    finally:
        await runner.cleanup()
