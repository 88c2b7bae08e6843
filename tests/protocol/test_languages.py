"""The transcription language check (:mod:`voicechat.protocol.languages`): every ISO 639-1
code passes, ``auto`` and names are refused with the fix, and no input makes it raise."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.languages import NAMED, language_problem

LOWER = st.sampled_from(string.ascii_lowercase)


@given(st.tuples(LOWER, LOWER), st.one_of(st.none(), st.text(string.ascii_letters, min_size=2,
                                                                max_size=4)))
def test_codes_with_or_without_a_region_pass(code: tuple[str, str], region: str | None) -> None:
    value = "".join(code) + (f"-{region}" if region else "")
    assert language_problem(value) is None
    assert language_problem(value.upper()) is None


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_never_an_exception(value: str) -> None:
    problem = language_problem(value)
    assert problem is None or repr(value.strip()) in problem


def test_auto_says_to_leave_the_field_out() -> None:
    problem = language_problem("auto")
    assert problem is not None and "leave transcription_language out" in problem


def test_a_name_says_which_code_it_means() -> None:
    for name, code in NAMED.items():
        problem = language_problem(name)
        assert problem is not None and f"use {code!r}" in problem, name
