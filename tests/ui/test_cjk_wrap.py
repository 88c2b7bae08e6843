"""Chinese and Japanese text in the transcript (issue 37, item 5): it breaks between characters,
and never starts a line with closing punctuation (``。``, ``，``) or ends one with an opening
bracket; text without CJK characters wraps exactly as Rich wraps it. The rules as properties of
the line breaker, then the transcript as drawn in the app at 80×24."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tests.ui.conftest import make_app
from tests.ui.fakes import ScriptedHandle, finish_turn, response_start, user_speech, user_transcript
from voicechat.ui.cjk_wrap import NO_LINE_END, NO_LINE_START, break_offsets, wrap

CONSOLE = Console(width=80)
#: what a transcript holds: letters, marks, numbers, punctuation, symbols and spaces (Rich drops
#: control characters, and a newline starts a paragraph of its own)
PRINTABLE_KINDS = ("L", "M", "N", "P", "S", "Zs")
PRINTABLE = st.characters(categories=PRINTABLE_KINDS)
ANSWER = ("你好，我是一个语音助手。今天天气很好，我们去公园散步吧。你觉得怎么样？"
          "「好的」，他说。我们明天见！这是一个很长的回答，用来检查换行规则是否正确。")

HAN = st.sampled_from("你好我是一个语音助手今天天气很们去公园散步吧觉得怎么样他说明见这长回答")
CLOSING = st.sampled_from("。，、？！）」』》")
OPENING = st.sampled_from("（「『《")
LATIN = st.sampled_from(["hello", "GPT", "ok", "2026", "voicechat"])


@st.composite
def chinese(draw: st.DrawFn) -> str:
    """Han characters with single marks between them, the way sentences use them: an opening
    bracket before a character, a closing mark after one, some Latin words with spaces."""
    parts: list[str] = [draw(HAN)]
    for _ in range(draw(st.integers(1, 120))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append(draw(CLOSING) + draw(HAN))
        elif kind == 1:
            parts.append(draw(OPENING) + draw(HAN))
        elif kind == 2:
            parts.append(" " + draw(LATIN) + " " + draw(HAN))
        else:
            parts.append(draw(HAN))
    return "".join(parts)


def lines_of(text: str, width: int) -> list[str]:
    return [line.plain for line in wrap(Text(text), CONSOLE, width)]


@settings(max_examples=300, deadline=None)
@given(chinese(), st.integers(6, 100))
def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(
        text: str, width: int) -> None:
    lines = lines_of(text, width)
    assert all(line[:1] not in NO_LINE_START for line in lines[1:]), lines
    assert all(line.rstrip()[-1:] not in NO_LINE_END for line in lines[:-1]), lines


@settings(max_examples=300, deadline=None)
@given(st.text(PRINTABLE, max_size=300), st.integers(2, 100))
def test_every_line_fits_and_nothing_is_lost(text: str, width: int) -> None:
    offsets = break_offsets(text, width)
    assert offsets == sorted(set(offsets)) and all(0 < o < len(text) for o in offsets)
    lines = lines_of(text, width)
    assert "".join("".join(lines).split()) == "".join(text.split())  # spaces may end a line
    assert all(cell_len(line.rstrip()) <= width for line in lines), lines


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(max_codepoint=0x2000, categories=PRINTABLE_KINDS), max_size=200),
       st.integers(2, 100))
def test_text_without_cjk_wraps_as_rich_wraps_it(text: str, width: int) -> None:
    expected = [line.plain for line in Text(text).wrap(CONSOLE, width)]
    assert lines_of(text, width) == expected


def test_a_chinese_answer_starts_beside_its_label() -> None:
    lines = lines_of("Assistant: " + ANSWER, 40)
    assert lines[0].startswith("Assistant: 你好，")


async def test_the_transcript_at_80_by_24_follows_the_rules() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        handle.run([*user_speech("item_u1"), user_transcript("item_u1", "请讲一个很长的故事。"),
                    *response_start("resp_1", "item_a1", "item_u1"),
                    *finish_turn("resp_1", "item_a1", ANSWER * 3)])
        app.sync()
        await pilot.pause()
        drawn = [line.rstrip() for line in app.transcript.history_lines()]
    body = [line for line in drawn if line]
    assert any("你好，我是" in line for line in body), drawn
    assert len(body) >= 4, drawn  # wrapped over several lines at this width
    assert all(line[:1] not in NO_LINE_START for line in body), drawn
    assert all(line[-1:] not in NO_LINE_END for line in body), drawn
