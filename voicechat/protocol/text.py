"""Make text from the wire or from someone else's log safe to print on a terminal.

A server, a proxied app or a pasted log controls the strings voicechat shows: event types,
ids, transcripts, error messages. Printed raw, ``ESC]0;title BEL`` retitles the terminal,
``ESC[2J`` clears it, and bidi overrides reorder what the reader sees. Every path that puts such
text on a terminal (``--no-ui``, the doctor, replay, the TUI) passes it through
:func:`printable`, which shows each control character as a visible escape instead.
"""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, line/paragraph separators, bidi overrides and isolates,
# and lone surrogates (a JSON "\ud800" escape decodes to one; no encoder writes it: printing
# one raised UnicodeEncodeError).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069\ud800-\udfff]")
_CONTROL_KEEP_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f"
                                   "\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as ``\\xNN``/``\\uNNNN``.

    Newlines are escaped too (one event, one line) unless ``keep_newlines``.
    """
    pattern = _CONTROL_KEEP_NEWLINE if keep_newlines else _CONTROL
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (from a JSON ``"\\ud800"`` escape in a log or a
    frame) written as that escape, ``\\ud800``: the text can then be encoded as UTF-8, and in
    JSON text (where a lone surrogate can only sit inside a string) the escape is the same
    value again. Everything else is left as it is."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape, text)
