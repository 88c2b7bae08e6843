"""Keep secrets out of the server's log lines.

The server handles three kinds of secret: its own API key (``--api-key``), the ``ek_`` tokens it
mints, and whatever keys clients present (``Authorization``, ``api-key`` headers or query, the
``openai-insecure-api-key.*`` subprotocol). No log line is meant to contain one, but log lines
quote client-chosen strings (a model name, a close reason, an exception), so a filter scrubs
every record as a last line of defence: an operator pasting ``voicechat serve`` output into a
bug report must never paste a key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from voicechat.protocol.secrets import redact_text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret shape and every string in ``secrets`` masked."""
    return redact_text(text, secrets)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with control characters written as ``\\xNN``: a newline a client smuggled into a
    model name cannot forge a log line, nor an escape sequence drive the operator's terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SecretFilter(logging.Filter):
    """A logging filter that rewrites each record (message, arguments, traceback) redacted, its
    message on one line with control characters escaped."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = escape_controls(redact(message, self.secrets))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


#: Loggers the server and its voice pipeline write to.
SERVER_LOGGERS = (
    "voicechat.server",
    "voicechat.server.voice.vad",
    "voicechat.server.voice.tts",
    "voicechat.server.voice.asr",
    "voicechat.server.voice.responders",
    # the hosted MCP client's libraries: request lines quote the MCP server's URL (and query)
    "httpx2",
    "mcp.client.streamable_http",
    "mcp.client.session",
)


def install(secrets: Iterable[str] = ()) -> SecretFilter:
    """Attach one :class:`SecretFilter` to the server's loggers; :func:`uninstall` removes it."""
    flt = SecretFilter(secrets)
    for name in SERVER_LOGGERS:
        logging.getLogger(name).addFilter(flt)
    return flt


def uninstall(flt: SecretFilter) -> None:
    for name in SERVER_LOGGERS:
        logging.getLogger(name).removeFilter(flt)
