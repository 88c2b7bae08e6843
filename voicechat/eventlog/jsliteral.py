"""Read the objects Node's ``console.log`` prints (``util.inspect`` notation) as JSON would be.

People debugging a Node app paste what ``console.log('event', event)`` printed::

    event {
      type: 'response.done',
      response: { id: 'resp_1', status: 'completed', output: [ [Object] ] }
    }

Keys are unquoted, strings single-quoted, and anything deeper than two levels is elided as
``[Object]``/``[Array]``. The JSON5 grammar (the ``json5`` package) covers unquoted keys; this
module rewrites every string literal as a JSON string first (inspect prints backtick strings
when the text holds a single quote, and splits long strings as ``'a' +\n  `b'c` ``, neither of
which JSON5 reads; real Node logs of ``response.text.done`` have both), then the few
inspect-only tokens outside strings into values JSON5 accepts. Elided parts become empty,
which the rules tolerate.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Looks like an object literal with an unquoted or single-quoted first key: worth a JSON5 try.
_LITERAL_START = re.compile(r"\{\s*(?:[A-Za-z_$][\w$]*|'[^'\n]*')\s*:")

_INSPECT_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<ref \*\d+>\s*"), ""),
    (re.compile(r"\[Circular \*\d+\]|\[Function(?:: [^\]]*| \(anonymous\))?\]"
                r"|\[Getter(?:/Setter)?\]|\bundefined\b"), "null"),
    (re.compile(r"\[Object(?: null prototype)?\]"), "{}"),
    (re.compile(r"\[Array\]"), "[]"),
    (re.compile(r",?\s*\.\.\. \d+ more items?"), ""),
)
_QUOTES = re.compile(r"[\"'`]")
_JOIN = re.compile(r"\s*\+\s*")  # between two pieces of one split string
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The value of the JS string literal opening at ``start``, and the index past it."""
    quote, out, i = text[start], [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in "xu" and (m := re.match(r"x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})",
                                                text[i + 1:])):
                out.append(chr(int(m.group(1) or m.group(2), 16)))
                i += 1 + m.end()
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ValueError("unterminated string")


def _as_json5(text: str) -> str:
    """``text`` with each (possibly ``+``-joined) string literal as one JSON string and the
    inspect-only tokens between strings replaced."""
    parts: list[str] = []
    pending: str | None = None  # a string read so far, which a ``+`` may continue
    pos = 0
    while True:
        match = _QUOTES.search(text, pos)
        between = text[pos:match.start()] if match else text[pos:]
        if pending is not None and not (match and _JOIN.fullmatch(between)):
            parts.append(json.dumps(pending))
            pending = None
        if pending is None:
            for pattern, replacement in _INSPECT_TOKENS:
                between = pattern.sub(replacement, between)
            parts.append(between)
        if match is None:
            return "".join(parts)
        value, pos = _read_string(text, match.start())
        pending = value if pending is None else pending + value


def looks_like_literal(text: str) -> bool:
    """Whether ``text`` (starting at ``{``) may be ``util.inspect`` output rather than JSON."""
    return _LITERAL_START.match(text) is not None


def parse_object_literal(text: str) -> dict[str, Any] | None:
    """The object ``text`` denotes, or ``None`` when it is not an inspect-style object."""
    if not looks_like_literal(text):
        return None
    import json5  # here, not at import: only text logs with inspect-style objects need it

    try:
        value = json5.loads(_as_json5(text))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
