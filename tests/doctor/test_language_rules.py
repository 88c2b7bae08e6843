"""The language rules' cores (issue 37): which script a text is in, and Whisper's silence
hallucinations. The rules themselves run on the corpus (``tests/doctor/corpus.py``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.doctor.rules.language import (
    HALLUCINATIONS,
    _folded,
    hallucination_in,
    script_by_characters,
    script_of,
)


@pytest.mark.parametrize(("text", "script"), [
    ("你能帮我订一张去上海的火车票吗？", "Chinese (Han)"),
    ("我想听 Taylor Swift 的歌，最新的那张专辑。", "Chinese (Han)"),
    ("明日の天気を教えてください。", "Japanese (kana)"),
    ("내일 날씨 어때요?", "Korean (Hangul)"),
    ("Sure! When would you like to travel?", "Latin script"),
    ("¿Dónde está la estación de tren?", "Latin script"),
    ("Привет, как дела?", "Cyrillic"),
    ("OK", None),  # too short to judge
    ("我想听 Taylor Swift", None),  # mixed: neither script has 70 %
    ("Play 周杰伦 please, the new album", "Latin script"),
    ("", None),
    ("12:30 — 45 %", None),
])
def test_the_script_of_a_text(text: str, script: str | None) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize("said", [
    "字幕由 Amara.org 社群提供", "字幕由Amara.org社区提供", "（字幕由 Amara.org 社群提供）",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "請不吝點贊訂閱轉發打賞支持明鏡與點點欄目",
    "Subtitles by the Amara.org community",
])
def test_known_hallucinations_are_found_in_either_script_and_spacing(said: str) -> None:
    assert hallucination_in(said) is not None


@pytest.mark.parametrize("said", [
    "帮我查一下明天的天气。", "明天的天气怎么样", "我订阅了一个频道", "点赞", "Hello there.",
    "amara org",
])
def test_real_speech_is_not_a_hallucination(said: str) -> None:
    assert hallucination_in(said) is None


@given(st.text())
def test_script_of_never_fails_and_names_a_known_script(text: str) -> None:
    assert script_of(text) in {None, "Chinese (Han)", "Japanese (kana)", "Korean (Hangul)",
                               "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai",
                               "Latin script"}


@given(st.text(), st.sampled_from(HALLUCINATIONS), st.text())
def test_a_hallucination_inside_any_text_is_found(before: str, phrase: str, after: str) -> None:
    assert hallucination_in(before + phrase + after) is not None


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert _folded(_folded(text)) == _folded(text)


ASCII_TEXT = st.text(st.characters(max_codepoint=127))


@given(ASCII_TEXT)
def test_an_ascii_text_gets_the_verdict_of_the_character_loop(text: str) -> None:
    """The doctor's short way for ASCII transcripts (a word count) says what the loop over
    every character says."""
    assert script_of(text) == script_by_characters(text)


@given(ASCII_TEXT, st.sampled_from(["", "amara.org", "Amara. Org", "subtitles by the "
                                        "amara.org community", "a-m-a-r-a.o r g"]), ASCII_TEXT)
def test_an_ascii_transcript_gets_the_verdict_of_the_folded_search(before: str, middle: str,
                                                                    after: str) -> None:
    text = before + middle + after
    folded = _folded(text)
    expected = next((phrase for phrase in HALLUCINATIONS if phrase in folded), None)
    assert hallucination_in(text) == expected
