"""Line breaking for Chinese and Japanese text: breaks between characters, and the no-break rules.

Rich wraps at spaces, so a Chinese answer (one long "word") after ``Assistant: `` starts on a
line of its own, and it is then folded at the last cell that fits: a line can start with ``。``
or ``，`` and end with ``「``, which Chinese and Japanese readers see as broken typesetting (the
rules are 避头尾 / 禁則処理: closing punctuation never starts a line, opening brackets never end
one). Here a paragraph with CJK characters may break between any two of them, other words still
break at spaces, and a forbidden break moves one character earlier (追い出し, "pushing out": the
line above gets a little shorter). Pushing out rather than hanging the mark in the margin keeps
every line within its width, which the transcript's strips require.

Text without CJK characters is wrapped by Rich alone, exactly as before (and as fast).
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.console import Console
from rich.text import Lines, Text

#: may not start a line: closing punctuation, full-width and the ASCII ones that follow CJK text
NO_LINE_START = frozenset(
    "、。，．：；？！）」』】〕〉》〗〙〟’”…‥・ー々ゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ"
    "～〜﹐﹑﹒﹔﹕﹖﹗﹚﹜﹞,.:;?!)]}%"
)
#: may not end a line: opening brackets and quotes
NO_LINE_END = frozenset("（「『【〔〈《〖〘〝‘“﹙﹛﹝([{")

#: the CJK blocks: radicals to unified ideographs (with kana and CJK punctuation), Hangul,
#: compatibility ideographs, vertical forms and the full-width forms
CJK_CHARS = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK = re.compile(f"[{CJK_CHARS}]")
#: a CJK character (a break may come before and after it), a run of spaces, or another word
_TOKEN = re.compile(f"[{CJK_CHARS}]|\\s+|[^\\s{CJK_CHARS}]+")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a character from the CJK blocks (where the rules apply); a regex
    search, since every transcript paragraph is asked on each wrap."""
    return _CJK.search(text) is not None


def _held(plain: str, at: int) -> bool:
    """A break before ``at`` would start a line with a closing mark or end one with an
    opening mark."""
    return plain[at] in NO_LINE_START or plain[at - 1] in NO_LINE_END


def break_offsets(plain: str, width: int) -> list[int]:
    """Line starts for one paragraph (no newlines) wrapped to ``width`` cells.

    Between two CJK characters a line may break anywhere; other words break at spaces, and a
    word longer than the line is folded. A break the rules forbid moves earlier while the line
    keeps at least one character and what moves down still fits; spaces stay at the end of the
    line they follow (the caller trims them)."""
    offsets: list[int] = []
    line_start = 0
    used = 0  # cells on the current line, its trailing spaces included
    for match in _TOKEN.finditer(plain):
        token, at = match.group(), match.start()
        cells = cell_len(token)
        if token.isspace() or used + cells <= width:
            used += cells
            continue
        if used > 0 and (len(token) == 1 or cells <= width):  # break before the token
            brk = at
            while brk - 1 > line_start and _held(plain, brk) and (
                    cell_len(plain[brk - 1:at]) + cells <= width):
                brk -= 1
            offsets.append(brk)
            line_start, used = brk, cell_len(plain[brk:at]) + cells
            continue
        for index, ch in enumerate(token):  # a word wider than a line: folded
            ch_cells = cell_len(ch)
            if used > 0 and used + ch_cells > width:
                offsets.append(at + index)
                line_start, used = at + index, 0
            used += ch_cells
    return offsets


def wrap(text: Text, console: Console, width: int) -> Lines:
    """``text.wrap(console, width)``, with the CJK rules where the text has CJK characters."""
    if width < 2 or "\t" in text.plain or not has_cjk(text.plain):
        return text.wrap(console, width)
    lines = Lines()
    for paragraph in text.split(allow_blank=True):
        pieces = paragraph.divide(break_offsets(paragraph.plain, width))
        for piece in pieces:
            piece.rstrip_end(width)
            piece.truncate(width, overflow="fold")
        lines.extend(pieces)
    return lines
