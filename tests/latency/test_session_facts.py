"""The timeline's session facts: the VAD's settings it reports turns with, and the mic-audio
clock of a log without times."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.latency.report import LONGEST_MS
from voicechat.latency.session_facts import SessionFacts


def vad_session(silence_ms: Any, fmt: str | None = None) -> dict[str, Any]:
    audio_in: dict[str, Any] = {"turn_detection": {"type": "server_vad",
                                                   "silence_duration_ms": silence_ms}}
    if fmt is not None:
        audio_in["format"] = {"type": fmt}
    return {"audio": {"input": audio_in}}


def test_the_servers_settings_win_over_a_later_request() -> None:
    facts = SessionFacts()
    facts.client_session(vad_session(300))
    assert facts.vad == (300.0, None)  # asked for, and nothing better known yet
    facts.server_session(vad_session(500))
    facts.client_session(vad_session(200))  # a request the server may yet refuse
    assert facts.vad == (500.0, None)


def test_the_clock_runs_at_the_input_formats_rate() -> None:
    facts = SessionFacts()
    facts.count_mic({"bytes": 4800})  # pcm16 at 24 kHz: 48 bytes a millisecond
    assert math.isclose(facts.audio_ms, 100.0) and facts.mic_counted
    facts.server_session(vad_session(500, fmt="audio/pcmu"))  # G.711: 8 bytes a millisecond
    facts.count_mic("A" * 1064)  # base64 of 798 bytes
    assert math.isclose(facts.audio_ms, 100.0 + 798 / 8)


def test_an_append_of_a_day_or_of_nothing_moves_no_clock() -> None:
    facts = SessionFacts()
    for audio in ({"bytes": 1e308}, {"bytes": -48}, {"bytes": "48"}, {"bytes": True}, None, 7,
                  {"bytes": 0}, ""):
        facts.count_mic(audio)
    assert facts.audio_ms == 0.0 and not facts.mic_counted


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(
                                ["audio", "input", "turn_detection", "format", "type",
                                 "bytes", "silence_duration_ms", "eagerness"]), inner,
                                max_size=4)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["mic", "server", "client"]), _values), max_size=20))
def test_any_settings_and_appends_leave_sane_facts(steps: list[tuple[str, Any]]) -> None:
    facts = SessionFacts()
    for kind, value in steps:
        before = facts.audio_ms
        if kind == "mic":
            facts.count_mic(value)
        elif kind == "server":
            facts.server_session(value)
        else:
            facts.client_session(value)
        assert before <= facts.audio_ms < before + LONGEST_MS
        wait, note = facts.vad
        assert (wait is None) != (note is None)
        assert wait is None or (math.isfinite(wait) and wait >= 0)
