"""Read the objects Node's ``console.log`` prints (``util.inspect`` notation) as JSON would be.

People debugging a Node app paste what ``console.log('event', event)`` printed::

    event {
      type: 'response.done',
      response: { id: 'resp_1', status: 'completed', output: [ [Object] ] }
    }

Keys are unquoted, strings single-quoted, and anything deeper than two levels is elided as
``[Object]``/``[Array]``. The JSON5 grammar (the ``json5`` package) covers the quoting; this
module only rewrites the few inspect-only tokens into values JSON5 accepts, so the doctor sees
the event's type and top-level fields. Elided parts become empty, which the rules tolerate.
"""

from __future__ import annotations

import re
from typing import Any

import json5

#: Looks like an object literal with an unquoted or single-quoted first key: worth a JSON5 try.
_LITERAL_START = re.compile(r"\{\s*(?:[A-Za-z_$][\w$]*|'[^'\n]*')\s*:")

_INSPECT_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<ref \*\d+>\s*"), ""),
    (re.compile(r"\[Circular \*\d+\]|\[Function(?:: [^\]]*| \(anonymous\))?\]"
                r"|\[Getter(?:/Setter)?\]|\bundefined\b"), "null"),
    (re.compile(r"\[Object(?: null prototype)?\]"), "{}"),
    (re.compile(r"\[Array\]"), "[]"),
    (re.compile(r",?\s*\.\.\. \d+ more items?"), ""),
    # long strings that older Node versions split as 'a' +\n  'b'
    (re.compile(r"'\s*\+\s*\n\s*'"), ""),
)


def looks_like_literal(text: str) -> bool:
    """Whether ``text`` (starting at ``{``) may be ``util.inspect`` output rather than JSON."""
    return _LITERAL_START.match(text) is not None


def parse_object_literal(text: str) -> dict[str, Any] | None:
    """The object ``text`` denotes, or ``None`` when it is not an inspect-style object."""
    if not looks_like_literal(text):
        return None
    for pattern, replacement in _INSPECT_TOKENS:
        text = pattern.sub(replacement, text)
    try:
        value = json5.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
