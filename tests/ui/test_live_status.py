"""The GPT-Live status line's figures from plain values: the time left and the context fill,
and the line dropping detail (never the assistant's state) as the terminal narrows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.style import Style

from voicechat.ui.viewstate import UiState
from voicechat.ui.widgets.live_status import (
    context_text,
    live_line2_variants,
    remaining_text,
)
from voicechat.ui.widgets.status_bar import fields_text


def test_time_left_in_minutes_then_seconds() -> None:
    assert remaining_text(None, 1000.0) == ""
    assert remaining_text(1000 + 1800, 1000.5) == "29 min"
    assert remaining_text(1000 + 119, 1000.0) == "115 s"
    assert remaining_text(1000 + 3, 1000.0) == "5 s"
    assert remaining_text(1000, 1000.0) == "over"


@given(st.integers(0, 10_000), st.floats(0, 10_000))
def test_time_left_never_grows_as_time_passes(expires: int, now: float) -> None:
    def seconds(text: str) -> float:
        if text == "over":
            return 0.0
        value, unit = text.split()
        return float(value) * (60 if unit == "min" else 1)

    assert seconds(remaining_text(expires, now + 1.0)) <= seconds(remaining_text(expires, now))


def test_context_fill_as_a_percentage() -> None:
    assert context_text(None) == ""
    assert context_text(0.424) == "42%"
    assert context_text(1.7) == "100%"


def test_the_line_shows_the_facts_and_narrows_from_the_right() -> None:
    state = UiState(mode="live", response_status="in_progress", context_ratio=0.25)
    variants = [fields_text(fields, Style()).plain for fields in live_line2_variants(
        state, task="delegation:client 1.5 s", ends="12 min",
        echo=lambda short: [("echo ", Style()), ("off" if short else "AEC off", Style())],
        style=lambda name: Style())]
    assert variants[0] == ("assistant speaking │ task client 1.5 s │ echo AEC off │ turns "
                           "model decides (GPT-Live) │ ends in 12 min │ context 25%")
    assert all(v.startswith("assistant speaking") for v in variants)
    assert [len(v) for v in variants] == sorted((len(v) for v in variants), reverse=True)
    assert variants[-1] == "assistant speaking │ task client 1.5 s"
    interrupted = UiState(mode="live", response_status="incomplete")
    [first, *_] = [fields_text(f, Style()).plain for f in live_line2_variants(
        interrupted, task="", ends="", echo=lambda short: [], style=lambda name: Style())]
    assert first == "interrupted · listening │ turns model decides (GPT-Live)"


def test_a_realtime_session_shows_its_end_only_in_its_last_ten_minutes() -> None:
    """GPT-Live's sessions are short and always say their end; a Realtime session's 60
    minutes (or a provider's cap) would only crowd the bar until its end draws near."""
    from voicechat.ui.widgets.status_bar import StatusBar

    bar = StatusBar(wall_clock=lambda: 1_000.0)
    assert bar._ends(UiState(mode="vad", expires_at=1_000 + 3_000)) == ""
    assert bar._ends(UiState(mode="vad", expires_at=1_000 + 300)) == "5 min"
    assert bar._ends(UiState(mode="vad", expires_at=None)) == ""
    assert bar._ends(UiState(mode="live", expires_at=1_000 + 3_000)) == "50 min"
