"""The ``chat:URL`` responder: streams from any OpenAI-compatible ``/v1/chat/completions``.

llama.cpp, Ollama, vLLM and the like all speak it. Model and key come from
``VOICECHAT_CHAT_MODEL`` and ``VOICECHAT_CHAT_API_KEY`` so that secrets never sit on a command
line; the key is never shown (``repr``, errors).

Tools: the response's function tools and ``tool_choice`` go to the endpoint as chat-completions
``tools``/``tool_choice``; streamed ``delta.tool_calls`` come back as
:class:`~voicechat.server.voice.tools.ToolCall` values after the text, once the stream has
ended (the engine then streams each call's arguments to the client); the conversation's calls
and outputs go back as assistant ``tool_calls`` and ``role: "tool"`` messages
(:mod:`voicechat.server.voice.chat_tools`). The endpoint's own call ids are not used: the
engine gives every call a Realtime-shaped ``call_id``, and the history carries those.

``tool_choice`` is the endpoint's to honour (``"required"`` and a forced function are passed on
in the chat shape); decided: a reply that ignores it is passed on as the model's, as the real
service would, except that calls under ``"none"`` are dropped by the engine.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from typing import Any

from voicechat.protocol.secrets import redact_text
from voicechat.server.voice.chat_tools import ToolCallAssembler, chat_messages, chat_tool_fields
from voicechat.server.voice.reply import Message, ReplyPart, ResponderError
from voicechat.server.voice.sse import SseParser
from voicechat.server.voice.tools import NO_TOOLS, ToolOffer

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful voice assistant. Your replies are spoken aloud, so answer briefly, in "
    "plain sentences, without lists, markdown or emoji."
)
DEFAULT_CHAT_MODEL = "gpt-4o-mini"


def chat_completions_url(url: str) -> str:
    """Accept a server root, a ``/v1`` base URL or the full endpoint; return the endpoint."""
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if re.search(r"/v\d+$", base):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


class ChatResponder:
    """Streams a reply from an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    def __init__(
        self,
        url: str,
        model: str | None = None,
        api_key: str | None = None,
        system_prompt: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ResponderError(
                f"chat responder URL {url!r} must start with http:// or https:// "
                "(e.g. --responder chat:http://127.0.0.1:8080/v1)"
            )
        self.url = chat_completions_url(url)
        self.model = model or os.environ.get("VOICECHAT_CHAT_MODEL") or DEFAULT_CHAT_MODEL
        self._api_key = api_key if api_key is not None else os.environ.get("VOICECHAT_CHAT_API_KEY")
        self.system_prompt = (
            system_prompt
            if system_prompt is not None
            else os.environ.get("VOICECHAT_CHAT_SYSTEM_PROMPT", DEFAULT_SYSTEM_PROMPT)
        )
        self.timeout_s = timeout_s

    def __repr__(self) -> str:  # never show the key
        return f"ChatResponder(url={self.url!r}, model={self.model!r})"

    def messages(self, history: list[Message], user_text: str) -> list[Message]:
        """System prompt, prior turns (calls and their outputs included), then the user's
        words unless history already ends with them."""
        return chat_messages(self.system_prompt, history, user_text)

    def request_body(
        self, history: list[Message], user_text: str, offer: ToolOffer = NO_TOOLS
    ) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": self.messages(history, user_text),
            "stream": True,
            **chat_tool_fields(offer),
        }

    async def reply(
        self, history: list[Message], user_text: str, offer: ToolOffer = NO_TOOLS
    ) -> AsyncIterator[ReplyPart]:
        import aiohttp

        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = self.request_body(history, user_text, offer)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout_s)
        calls = ToolCallAssembler()
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(self.url, json=body, headers=headers) as resp,
            ):
                if resp.status != 200:
                    detail = _redact((await resp.text())[:300], self._api_key)
                    fix = " Fix: set VOICECHAT_CHAT_API_KEY." if resp.status in (401, 403) else ""
                    raise ResponderError(
                        f"chat endpoint {self.url} answered HTTP {resp.status}: {detail}{fix}"
                    )
                parser = SseParser()
                finished = False
                async for raw in resp.content.iter_any():
                    for event in parser.feed(raw):
                        if event.data.strip() == "[DONE]":
                            finished = True
                            break
                        delta = _delta(event.data, self.url)
                        calls.feed(delta.get("tool_calls"))
                        text = delta.get("content")
                        if isinstance(text, str) and text:
                            yield text
                    if finished:
                        break
        except aiohttp.ClientError as exc:
            raise ResponderError(
                f"cannot reach the chat endpoint {self.url}: {type(exc).__name__}: {exc}"
            ) from None
        except TimeoutError:
            raise ResponderError(
                f"the chat endpoint {self.url} sent nothing for {self.timeout_s:g} s"
            ) from None
        for call in calls.calls():
            yield call


def _delta(data: str, url: str) -> dict[str, Any]:
    """The ``choices[0].delta`` of one streamed chunk (``{}`` when it has none)."""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        raise ResponderError(f"chat endpoint {url} streamed something that is not JSON") from None
    if isinstance(payload, dict) and "error" in payload:
        err = payload["error"]
        message = err.get("message") if isinstance(err, dict) else err
        raise ResponderError(f"chat endpoint {url} reported an error: {message}")
    try:
        delta = payload["choices"][0]["delta"]
    except (KeyError, IndexError, TypeError):
        return {}
    return delta if isinstance(delta, dict) else {}


def _redact(text: str, secret: str | None) -> str:
    return redact_text(text, [secret] if secret else [])
