"""Recognise credentials in text so that no log, screen, event log or error message shows one.

Realtime traffic carries three kinds of secret: long-lived API keys (``sk-…``, xAI's ``xai-…``,
Azure keys in an ``api-key`` header), ephemeral client secrets (``ek_…``), and the places they
travel in (``Authorization: Bearer …``, the browser subprotocols ``openai-insecure-api-key.<key>``
and xAI's ``xai-client-secret.<token>``, ``user:password@`` in URLs). Every layer that writes
text a person may paste into a bug report (the server's log, the recorder, the validator's
messages, the TUI's problem banner) masks them with this one function, so a new credential
shape is taught once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# Each alternative keeps what identifies the field (group "keep") and masks only the value.
_SECRET = re.compile(
    r"(?P<bare>\b(?:sk-|ek_|xai-(?!client-secret\.))[A-Za-z0-9_\-]{6,})"
    r"|(?P<keep>(?i:\bbearer\s+)"
    r"|(?i:\b(?:authorization|api[-_]?key)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"|(?i:openai-insecure-api-key\.)|(?i:xai-client-secret\.))"
    r"(?P<value>[^\s\"',;&}@]+)"
    # ``user:password@`` in a URL: only a password that an ``@`` follows, so the port of a
    # plain ``http://127.0.0.1:8080/mcp`` is left alone.
    r"|(?P<userinfo>://[^/\s:@]+:)[^\s/\"',;&}@]+(?=@)"
)


def _mask(match: re.Match[str]) -> str:
    if match.group("bare") is not None:
        return REDACTED
    if match.group("userinfo") is not None:
        return match.group("userinfo") + REDACTED
    return match.group("keep") + REDACTED


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential-shaped substring, and each string in ``secrets``, masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if ("sk-" not in text and "ek_" not in text and "xai-" not in text
            and not _has_secret_context(text)):
        return text
    return _SECRET.sub(_mask, text)


def _has_secret_context(text: str) -> bool:
    """Cheap pre-check so the hot path (log lines without credentials) skips the regex."""
    lowered = text.lower()
    return (
        "bearer" in lowered
        or "key" in lowered
        or "authorization" in lowered
        or ("://" in text and "@" in text)
    )
