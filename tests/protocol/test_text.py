"""Text from the wire reaches a terminal with its control characters made visible."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.text import printable

_DANGEROUS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                        "\u2066-\u2069]")


def test_escape_sequences_become_visible() -> None:
    assert printable("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert printable("one\ntwo") == "one\\x0atwo"
    assert printable("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert printable("left\u202eright") == "left\\u202eright"
    assert printable("plain text, tabs\tand ünïcode") == "plain text, tabs\tand ünïcode"


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    out = printable(text)
    assert _DANGEROUS.search(out) is None
    assert "\n" not in printable(text, keep_newlines=False)
