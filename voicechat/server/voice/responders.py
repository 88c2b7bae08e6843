"""Who answers in the local server: an echo, a script, or any OpenAI-compatible chat endpoint.

The conversation engine streams whatever a responder yields as ``response.output_text.delta`` /
transcript deltas and speaks it, so every responder yields word-sized chunks (each keeps its
trailing space) rather than one block: the client then sees text arrive the way it does from the
real API.

* ``echo`` (the default) says back what it heard, which makes the whole voice loop checkable by
  ear and by test.
* ``script:FILE`` replies with canned lines in order, for tests and demos. After the last line it
  says that the script has ended (rather than repeating itself, which would hide a test that
  takes more turns than it meant to).
* ``chat:URL`` streams from ``/v1/chat/completions`` of any OpenAI-compatible server (llama.cpp,
  Ollama, vLLM, ...). Model and key come from ``VOICECHAT_CHAT_MODEL`` and
  ``VOICECHAT_CHAT_API_KEY`` so that secrets never sit on a command line.

Create one responder per conversation: the script responder counts its own turns.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from voicechat.protocol.secrets import redact_text
from voicechat.server.voice.sse import SseParser

_CHUNK = re.compile(r"\S+\s*")

SCRIPT_END_REPLY = "That is the end of my script."
EMPTY_INPUT_REPLY = "I didn't catch that. Could you say it again?"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful voice assistant. Your replies are spoken aloud, so answer briefly, in "
    "plain sentences, without lists, markdown or emoji."
)
DEFAULT_CHAT_MODEL = "gpt-4o-mini"


class ResponderError(RuntimeError):
    """A responder could not produce a reply; the message says why and what to do."""


class Responder(Protocol):
    """Produces the assistant's reply to ``user_text`` as a stream of text chunks."""

    def reply(self, history: list[dict[str, str]], user_text: str) -> AsyncIterator[str]: ...


def word_chunks(text: str) -> list[str]:
    """Split text into word-ish deltas that concatenate back to the text (whitespace kept)."""
    lead = text[: len(text) - len(text.lstrip())]
    chunks = _CHUNK.findall(text)
    if lead and chunks:
        chunks[0] = lead + chunks[0]
    return chunks


class EchoResponder:
    """Says back what the user said."""

    async def reply(self, history: list[dict[str, str]], user_text: str) -> AsyncIterator[str]:
        heard = " ".join(user_text.split())
        text = f"You said: {heard}" if heard else EMPTY_INPUT_REPLY
        for chunk in word_chunks(text):
            yield chunk


class ScriptResponder:
    """Replies with the lines of a script, one per turn, in order."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = [r for r in (s.strip() for s in replies) if r]
        self.turn = 0

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptResponder:
        """A text file with one reply per line (blank lines and ``#`` comments skipped), or a
        JSON list of strings."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ResponderError(
                f"cannot read the responder script {str(p)!r}: {exc.strerror or exc}. "
                "Fix: pass --responder script:PATH with an existing text or JSON file."
            ) from None
        if text.lstrip().startswith("["):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ResponderError(
                    f"responder script {str(p)!r} is not valid JSON: {exc}"
                ) from None
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ResponderError(f"responder script {str(p)!r} must be a JSON list of strings")
            replies = list(data)
        else:
            replies = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
        responder = cls(replies)
        if not responder.replies:
            raise ResponderError(f"responder script {str(p)!r} has no replies in it")
        return responder

    async def reply(self, history: list[dict[str, str]], user_text: str) -> AsyncIterator[str]:
        text = self.replies[self.turn] if self.turn < len(self.replies) else SCRIPT_END_REPLY
        self.turn += 1
        for chunk in word_chunks(text):
            yield chunk


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

    def messages(self, history: list[dict[str, str]], user_text: str) -> list[dict[str, str]]:
        """System prompt, prior turns, then the user's words (unless history already ends
        with them)."""
        msgs = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        for item in history:
            role, content = item.get("role"), item.get("content")
            if role in ("user", "assistant", "system") and content:
                msgs.append({"role": role, "content": content})
        if not (msgs and msgs[-1] == {"role": "user", "content": user_text}):
            msgs.append({"role": "user", "content": user_text})
        return msgs

    async def reply(self, history: list[dict[str, str]], user_text: str) -> AsyncIterator[str]:
        import aiohttp

        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = {"model": self.model, "messages": self.messages(history, user_text), "stream": True}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.timeout_s)
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
                async for raw in resp.content.iter_any():
                    for event in parser.feed(raw):
                        if event.data.strip() == "[DONE]":
                            return
                        text = _delta_text(event.data, self.url)
                        if text:
                            yield text
        except aiohttp.ClientError as exc:
            raise ResponderError(
                f"cannot reach the chat endpoint {self.url}: {type(exc).__name__}: {exc}"
            ) from None
        except TimeoutError:
            raise ResponderError(
                f"the chat endpoint {self.url} sent nothing for {self.timeout_s:g} s"
            ) from None


def _delta_text(data: str, url: str) -> str:
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        raise ResponderError(f"chat endpoint {url} streamed something that is not JSON") from None
    if isinstance(payload, dict) and "error" in payload:
        err = payload["error"]
        message = err.get("message") if isinstance(err, dict) else err
        raise ResponderError(f"chat endpoint {url} reported an error: {message}")
    try:
        content = payload["choices"][0]["delta"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return content if isinstance(content, str) else ""


def _redact(text: str, secret: str | None) -> str:
    return redact_text(text, [secret] if secret else [])


def make_responder(spec: str) -> Responder:
    """``echo``, ``script:FILE`` or ``chat:URL`` -> a responder."""
    kind, _, arg = spec.partition(":")
    if kind == "echo" and not arg:
        return EchoResponder()
    if kind == "script" and arg:
        return ScriptResponder.from_file(arg)
    if kind == "chat" and arg:
        return ChatResponder(arg)
    raise ResponderError(
        f"unknown responder {spec!r}: use 'echo', 'script:FILE' or 'chat:URL' "
        "(e.g. chat:http://127.0.0.1:8080/v1)"
    )
