"""Turning failures into short messages the app shows in place, never as tracebacks.

The user of a terminal voice app cannot act on a stack trace; they can act on "no audio input
device — use --mic FILE" or "the server at … refused the connection — is `voicechat serve`
running?". This module maps what can go wrong (an exception from start-up, a server ``error``
event, a ``local.notice``, a failed transport) to a :class:`Problem` with the fix, and strips
anything that looks like a secret first: keys must never reach the screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable


def redact(text: str) -> str:
    """Replace anything that looks like an API key, ephemeral token or auth header value, and
    show control characters as escapes (the text comes from the wire)."""
    return printable(redact_text(text), keep_newlines=True)


@dataclass(frozen=True)
class Problem:
    """Something the user should know about, with what to do about it."""

    title: str
    detail: str = ""
    fix: str = ""
    level: str = "error"  # error: stays on screen; warning: a toast

    def __str__(self) -> str:
        parts = [self.title]
        if self.detail:
            parts.append(self.detail)
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " — ".join(parts)


#: 401 as a status, not inside a number: a server on port 40157 ("127.0.0.1:40157") that could
#: not be reached was told the user their API key was rejected
_HTTP_401 = re.compile(r"(?<![\d:.])401(?!\d)")


def problem_from_exception(exc: BaseException) -> Problem:
    """Classify a start-up failure (see the module docstring for the categories)."""
    text = redact(str(exc) or type(exc).__name__)
    low = text.lower()
    name = type(exc).__name__
    fix = getattr(exc, "fix", None)
    if isinstance(fix, str) and fix:  # a refusal said in plain words brings its own fix
        return Problem("The server refused the connection", text, fix)
    if "portaudio" in low or "no audio" in low or ("device" in low and "input" in low):
        return Problem("No audio device", text,
                       "install libportaudio2, pick a device with --mic (voicechat devices), "
                       "or use --mic FILE.wav")
    # before the key's words: "certificate has expired" is not the key's expiry
    if "certificate verify failed" in low:
        # a self-signed certificate or a private CA (a local gateway, ``voicechat serve
        # --tls-cert``): Python's TLS (aiohttp, websockets) reads the trusted CAs from
        # SSL_CERT_FILE, so that is the one switch every transport honours
        return Problem("The server's TLS certificate is not trusted", text,
                       "if you trust that server, point SSL_CERT_FILE at its CA certificate "
                       "(PEM: for voicechat serve --tls-cert FILE, that FILE), e.g. "
                       "SSL_CERT_FILE=ca.pem voicechat ...; or use http:// on loopback")
    if name == "AuthError" or _HTTP_401.search(text) or any(
            w in low for w in ("expired", "invalid_api_key", "unauthorized")):
        return Problem("The API key was rejected or has expired", text,
                       "set a valid key in the variable the message names (OPENAI_API_KEY, "
                       "AZURE_OPENAI_API_KEY, XAI_API_KEY, AZURE_VOICELIVE_API_KEY), or use "
                       "--server local")
    if any(w in low for w in ("unknown parameter", "invalid value", "invalid type",
                              "missing required", "config")):
        return Problem("The session configuration was rejected", text,
                       "fix the named field in your config file (voicechat validate FILE)")
    if (name == "ConnectError" or isinstance(exc, ConnectionError | OSError | TimeoutError)
            or "connect" in low or "cannot reach" in low):
        return Problem("The server is unreachable", text,
                       "check --server and your network, or use --server local for the "
                       "embedded offline server")
    return Problem(f"Could not start the conversation ({name})", text,
                   "run with --no-ui to see the full log, or report a bug")


def problem_from_event(direction: str, event: dict[str, Any]) -> Problem | None:
    """A Problem for an event the user must see (server errors, error notices, failures)."""
    etype = event.get("type", "")
    if etype == "error" and direction == "in":
        error = event.get("error") or {}
        code = error.get("code") or error.get("type") or "error"
        message = redact(str(error.get("message", "")))
        if code == "session_expired":
            return Problem("The session expired", message, "quit and start a new session")
        if code in {"invalid_api_key", "unauthorized"}:
            return Problem("The API key was rejected or has expired", message,
                           "set a valid key, or use --server local")
        if code == "response_cancel_not_active":
            return None  # benign: the response finished before our cancel arrived
        return Problem(f"Server error: {code}", message)
    if etype == "local.notice" and event.get("level") == "error":
        message = redact(str(event.get("message", "")))
        head, sep, rest = message.partition(": ")
        if sep and rest and len(head) <= 30:  # "no microphone: …": the head says what failed
            return Problem(head[:1].upper() + head[1:], rest)
        return Problem("Error", message)
    if etype == "local.transport.state" and event.get("state") == "failed":
        detail = redact(str(event.get("detail") or event.get("message") or ""))
        return Problem("The connection failed", detail,
                       "check that the server is running; the client reconnects on its own "
                       "when it can")
    # transcription failures are not banner material: the transcript shows the placeholder
    # and the session core raises its own notice
    return None
