"""Tool arguments and results as text a person may see: safe, secret-free, short or pretty.

The model writes a call's arguments and a tool (someone else's MCP server, a command) writes its
result, so both are foreign text: control characters are shown as escapes
(:func:`voicechat.protocol.text.printable`) and anything credential-shaped is masked — by the
shapes :mod:`voicechat.protocol.secrets` knows, and, inside JSON, by the key it sits under
(``password``, ``token``, ``secret``…), since a tool's arguments name their secrets plainly.
The transcript shows a one-line summary; the approval modal and the expanded transcript entry
show the pretty JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from voicechat.protocol.secrets import REDACTED, redact_text
from voicechat.protocol.text import printable

SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd|phrase)?|secret|token|api[-_]?key|authori[sz]ation|credential|cookie"
    r"|private[-_]?key)")
"""JSON keys whose values are masked wherever they appear in arguments or results."""

MAX_PRETTY_CHARS = 20_000
"""The pretty form is cut here (a modal and an expanded entry are for reading, not for dumps)."""


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and SECRET_KEY.search(k)
                    and isinstance(v, str | int | float) else _mask(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def safe(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with credentials masked and control characters escaped."""
    return printable(redact_text(text), keep_newlines=keep_newlines)


def parse_arguments(arguments: str) -> tuple[Any, bool]:
    """(the parsed value, True) for valid JSON; (the text, False) otherwise."""
    try:
        return json.loads(arguments), True
    except (ValueError, TypeError):
        return arguments, False


def pretty_arguments(arguments: str) -> tuple[str, bool]:
    """(indented JSON with secrets masked, valid?) — invalid JSON comes back as safe text."""
    value, valid = parse_arguments(arguments)
    if not valid:
        return _cut(safe(arguments)), False
    text = json.dumps(_mask(value), indent=2, ensure_ascii=False)
    return _cut(safe(text)), True


def short_arguments(arguments: str, width: int = 60) -> str:
    """One line for the transcript: ``path="notes.txt", limit=3`` (or the raw text, cut)."""
    value, valid = parse_arguments(arguments)
    if valid and isinstance(value, dict):
        value = _mask(value)
        parts = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
        text = ", ".join(parts)
    elif valid:
        text = json.dumps(_mask(value), ensure_ascii=False)
    else:
        text = arguments.strip()
    return shorten(safe(text, keep_newlines=False), width)


def pretty_result(output: str) -> str:
    """A result for reading: JSON indented when it is JSON, else the text; secrets masked."""
    value, valid = parse_arguments(output)
    if valid and isinstance(value, dict | list):
        return _cut(safe(json.dumps(_mask(value), indent=2, ensure_ascii=False)))
    return _cut(safe(output))


def short_result(output: str, width: int = 60) -> str:
    """The first words of a result on one line (newlines become spaces)."""
    value, valid = parse_arguments(output)
    if valid and isinstance(value, dict | list):
        output = json.dumps(_mask(value), ensure_ascii=False)
    flat = " ".join(output.split())
    return shorten(safe(flat, keep_newlines=False), width)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis when it was longer."""
    if width <= 1:
        return text[:max(width, 0)]
    return text if len(text) <= width else text[:width - 1] + "…"


def duration(seconds: float | None) -> str:
    """``0.4 s``, ``12 s``, ``2 min 5 s``; "" when unknown."""
    if seconds is None or seconds < 0:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def _cut(text: str) -> str:
    if len(text) <= MAX_PRETTY_CHARS:
        return text
    return text[:MAX_PRETTY_CHARS] + f"\n… ({len(text) - MAX_PRETTY_CHARS} more characters)"
