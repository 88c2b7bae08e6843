"""Text from the wire reaches a terminal with its control characters made visible."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.text import escape_surrogates, printable

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


# any character, lone surrogates included (st.characters() leaves them out)
_ANY = st.text(alphabet=st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)),
               max_size=40)


@given(_ANY)
def test_printable_text_always_encodes(text: str) -> None:
    # a lone surrogate (a JSON "\\ud800" escape in a log) raised UnicodeEncodeError on print
    printable(text).encode("utf-8")
    printable(text, keep_newlines=True).encode("utf-8")


@given(_ANY)
def test_escaped_json_encodes_and_reads_back_the_same(text: str) -> None:
    dumped = escape_surrogates(json.dumps({"text": text}, ensure_ascii=False))
    dumped.encode("utf-8")
    # the same text back, where two halves side by side read as the one character they make
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    assert json.loads(dumped) == {"text": paired}
    assert escape_surrogates("plain ☀ text") == "plain ☀ text"
