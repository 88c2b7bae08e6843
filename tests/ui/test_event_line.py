"""Fitting event lines into a narrow pane: pure rules, checked on real Realtime event names."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from voicechat.ui.event_line import (
    FOLD_ROOM,
    SUMMARY_MIN,
    abbreviate,
    crop,
    fit_line,
    short_form,
    shorter_forms,
    time_text,
    time_width,
)

NAMES = [
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
    "conversation.item.added",
    "response.output_audio_transcript.delta",
    "response.audio_transcript.delta",  # beta
    "response.content_part.added",
    "response.output_item.done",
    "response.done",
    "input_audio_buffer.speech_started",
    "output_audio_buffer.cleared",
    "local.mic.muted",
    "session.updated",
    "error",
    "x.some_vendor_extension.with_a_very_long_name_for_testing.done",
]
TIME = time_text(12.5, 6)


def test_time_column_is_right_aligned_and_sized_to_the_largest_time() -> None:
    assert time_text(1.2, 6) == " 1.200"
    assert time_text(None, 6) == "      "
    assert time_width(1.2) == 5 and time_width(123.456) == 7


def test_short_forms_keep_the_verb_and_are_stable() -> None:
    assert short_form("conversation.item.added") == "item.added"
    assert short_form("input_audio_buffer.speech_started") == "in_buf.speech_started"
    assert short_form("output_audio_buffer.cleared") == "out_buf.cleared"
    assert short_form("response.output_audio_transcript.delta") == "resp.transcript.delta"
    assert short_form("response.audio_transcript.delta") == "resp.transcript.delta"
    assert short_form("conversation.item.input_audio_transcription.failed") == \
        "transcript.failed"
    assert short_form("response.done") == "resp.done"
    assert short_form("error") == "error" and short_form("local.mic.muted") == "local.mic.muted"
    for name in NAMES:
        assert short_form(short_form(name)) == short_form(name)
        assert short_form(name).split(".")[-1] == name.split(".")[-1]


def test_shorter_forms_shrink_leading_parts_first() -> None:
    forms = list(shorter_forms("response.output_audio_transcript.delta"))
    assert forms == ["resp.transcript.delta", "r.transcript.delta", "r.t.delta"]
    assert all(len(a) > len(b) for a, b in itertools.pairwise(forms))


def test_abbreviate_only_as_far_as_needed() -> None:
    name = "input_audio_buffer.speech_started"
    assert abbreviate(name, 40) == name
    assert abbreviate(name, 21) == "in_buf.speech_started"
    assert abbreviate(name, 17) == "ib.speech_started"
    assert abbreviate(name, 10) == "ib.speech…"
    assert crop("abc", 0) == "" and crop("abcdef", 4) == "abc…"


def test_wide_pane_shows_full_names_and_the_summary_after_a_gap() -> None:
    parts = fit_line(TIME, "←", "conversation.item.added", 1, "item_u1 user", 80)
    assert parts.text == "12.500 ← conversation.item.added item_u1 user"


def test_full_names_wherever_they_fit_one_spelling_per_type_and_width() -> None:
    # 120 columns: the pane leaves ~37 cells for the type; these are written in full now
    assert fit_line(TIME, "←", "output_audio_buffer.started", 1, "resp_2", 46).label == \
        "output_audio_buffer.started"
    assert fit_line(TIME, "←", "response.done", 1, "resp_1 completed", 46).label == \
        "response.done"
    # a name that does not fit with a fold count is short, whatever its summary or count
    long_name = "response.output_audio_transcript.delta"
    width = 9 + len(long_name) + FOLD_ROOM - 1
    for count, summary in ((1, ""), (1, "resp_1"), (37, "")):
        label = fit_line(TIME, "←", long_name, count, summary, width).label
        assert label.split(" ×")[0] == "resp.transcript.delta"
    assert fit_line(TIME, "←", long_name, 400, "", width + 1).label == f"{long_name} ×400"
    parts = fit_line(TIME, "←", "conversation.item.added", 1, "item_u1 user", 32)
    assert parts.text == "12.500 ← item.added item_u1 user"


def test_type_keeps_priority_and_the_summary_gets_the_rest_or_nothing() -> None:
    parts = fit_line(TIME, "←", "input_audio_buffer.speech_started", 1,
                     "item_u3 at 11000 ms", 38)
    assert parts.label == "in_buf.speech_started"
    assert parts.summary == "item_u…" and len(parts.text) == 38
    # less than SUMMARY_MIN cells left: no stub of an id
    parts = fit_line(TIME, "←", "input_audio_buffer.speech_started", 1,
                     "item_u3 at 11000 ms", 9 + 21 + SUMMARY_MIN)
    assert parts.summary == ""


def test_fold_count_is_always_kept() -> None:
    parts = fit_line(TIME, "←", "response.output_audio_transcript.delta", 37, "resp_1", 31)
    assert parts.label == "r.transcript.delta ×37" and parts.summary == ""
    assert fit_line(TIME, "←", "response.output_audio_transcript.delta", 37, "", 24).label \
        == "r.t.delta ×37"


@given(
    name=st.sampled_from(NAMES),
    count=st.integers(1, 500),
    summary=st.text(alphabet="abc_ 12=", max_size=60),
    width=st.integers(9 + 14, 140),
)
def test_lines_never_overflow_and_keep_time_and_arrow(
    name: str, count: int, summary: str, width: int
) -> None:
    parts = fit_line(TIME, "→", name, count, summary, width)
    assert len(parts.text) <= width
    assert parts.text.startswith("12.500 → ")
    assert parts.time == TIME and parts.arrow == "→"
    if count > 1:
        assert parts.label.endswith(f" ×{count}")
    if parts.summary:
        assert parts.text.endswith(" " + parts.summary)
        assert len(parts.summary) >= min(SUMMARY_MIN, len(summary))
