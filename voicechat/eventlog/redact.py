"""Make an event safe to share: audio payloads become ``{"bytes": N}``, pictures
``data:image/png;base64,<N bytes>``, secrets disappear.

Every event that is written to a log, shown from a foreign log, or replayed passes through
:func:`redact_event`, so a log attached to a bug report carries neither the user's voice nor a key.
"""

from __future__ import annotations

import re
from typing import Any

from voicechat.protocol.secrets import REDACTED, redact_text

#: Event types whose ``delta`` is base64 audio (both Realtime dialects, and GPT-Live's; a
#: GPT-Live mic append's ``audio`` is caught by the ``audio`` key like Realtime's).
AUDIO_DELTA_TYPES = frozenset({"response.output_audio.delta", "response.audio.delta",
                               "session.output_audio.delta"})

#: Keys whose value is a credential whatever it looks like (compared lower-case, ``-``→``_``).
SECRET_KEYS = frozenset(
    {"authorization", "api_key", "apikey", "x_api_key", "openai_api_key", "azure_openai_api_key",
     "client_secret", "secret", "password", "token", "access_token", "ephemeral_key"}
)

def b64_size(data: str) -> int:
    """Decoded size of a base64 string without decoding it."""
    stripped = data.rstrip("=")
    return len(stripped) * 3 // 4


def redact_data_url(url: str) -> str:
    """A picture's ``data:`` URL without the picture: ``data:image/png;base64,<N bytes>``.

    Still a string of the same scheme, so readers of the log (the doctor, replay, the event
    pane) see the part's shape; the user's picture stays out of a log as their voice does."""
    head, _, payload = url.partition(",")
    if payload.startswith("<") and payload.endswith(" bytes>"):
        return url  # redacted already
    return f"{head},<{b64_size(payload)} bytes>"


def redact_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` with audio payloads as ``{"bytes": N}`` and secrets removed.

    Idempotent: an already redacted event comes back equal, so logs can be re-recorded.
    """
    delta = event.get("delta")
    if event.get("type") in AUDIO_DELTA_TYPES and isinstance(delta, str):
        # the payload is replaced, not walked: scanning 6 kB of base64 for credentials was
        # ~95 % of the cost of recording each audio delta (82 µs of 86), the client's most
        # frequent event (``voicechat load``'s engine spent 12 % of its CPU there)
        out = _redact_value({k: (None if k == "delta" else v) for k, v in event.items()})
        out["delta"] = {"bytes": b64_size(delta)}
        return out
    out = _redact_value(event)
    assert isinstance(out, dict)
    return out


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            norm = key.lower().replace("-", "_") if isinstance(key, str) else key
            if norm in SECRET_KEYS and item is not None and not isinstance(item, bool):
                result[key] = _redact_secret_container(item)
            elif key == "audio" and isinstance(item, str):
                result[key] = {"bytes": b64_size(item)}
            elif key == "image_url" and isinstance(item, str) and item.startswith("data:"):
                result[key] = redact_data_url(item)
            elif key == "headers" and isinstance(item, dict) and value.get("type") == "mcp":
                result[key] = _redact_headers(item)
            else:
                result[key] = _redact_value(item)
        return result
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """A hosted MCP tool's ``headers`` (realtime-tools.md §5.1: "secret-bearing"): any name may
    carry a credential (``X-Deepwiki-Key``, a tenant id), so every value is masked and the
    names stay, to show which were sent. Other ``headers`` (an app's handshake) keep their
    harmless values; only credential-named ones are masked there. Such a tool always has a
    ``server_url``, whose ``://`` already sends its line through this walk
    (:func:`needs_redaction`)."""
    return {name: REDACTED if isinstance(value, str) else _redact_value(value)
            for name, value in headers.items()}


def _redact_secret_container(value: Any) -> Any:
    """Secrets may be objects (``client_secret: {value, expires_at}``): keep harmless metadata."""
    if isinstance(value, dict):
        return {
            k: (v if k in ("expires_at", "expires_after", "anchor", "seconds") else REDACTED)
            for k, v in value.items()
        }
    return REDACTED


#: What in a raw line can make :func:`redact_event` change the event: an ``audio`` string, an
#: audio delta's payload, or anything credential-shaped (checked lower-cased). A line with none
#: of these, and no ``\u`` or ``\/`` escape that could spell one (``:\/\/`` decodes to ``://``),
#: is already safe and skips the (costly) deep walk.
_AUDIO_PAYLOAD = re.compile(r'"audio"\s*:\s*"')


def needs_redaction(text: str, event: dict[str, Any]) -> bool:
    """Whether ``event``, read from ``text``, may carry audio or a secret.

    False positives only cost the walk; a false negative would leak, so anything unusual
    (an escape, a credential-ish word anywhere in the line) answers yes.
    """
    if event.get("type") in AUDIO_DELTA_TYPES and isinstance(event.get("delta"), str):
        return True
    if "\\" in text and ("\\u" in text or "\\/" in text):
        return True
    if '"audio"' in text and _AUDIO_PAYLOAD.search(text) is not None:  # a scan is cheaper
        return True
    if '"image_url"' in text:  # a picture (``input_image``): kept out of logs
        return True
    lowered = text.lower()
    # Four of the nine words contain a "k": one scan for it spares four on most lines. A
    # token matters only as a key (SECRET_KEYS: "token", "access_token"), so with the quote
    # that ends it (escapes answered yes above): every rate_limits.updated names "tokens".
    return (("k" in lowered and ("key" in lowered or 'token"' in lowered or "sk-" in lowered
                                 or "ek_" in lowered))
            or "secret" in lowered or "bearer" in lowered or "authorization" in lowered
            or "password" in lowered or "://" in lowered)


def needs_redaction_bytes(text: bytes, event: dict[str, Any]) -> bool:
    """:func:`needs_redaction` of ``text.decode()`` (UTF-8 ``text``, an event's JSON bytes).

    Decoded, not searched as bytes: ``bytes.find`` parses its arguments on every call and
    ``bytes in bytes`` first tries the needle as an integer (building and dropping a
    ``TypeError``), so the nine scans cost ~2 k instructions each on a 250-byte line, and
    ``str in str`` 40 % less with the decode (an ASCII line's is a copy): the doctor on a
    text log 5 % fewer instructions, on bare events 7.5 %."""
    return needs_redaction(text.decode(), event)
