"""Live settings as session fragments: only what changed, whole objects, always valid."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.core.harness import Harness, notices, sends
from voicechat.core import UpdateSession
from voicechat.core.live_settings import (
    EAGERNESS,
    NOISE_REDUCTIONS,
    VOICES,
    LiveSettings,
    changed_patch,
    merge_session,
    session_patch,
)
from voicechat.core.server_session import read_reported
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event


def test_only_what_changed_is_sent() -> None:
    old = LiveSettings(voice="marin", speed=1.0, instructions="Be brief.")
    assert changed_patch(old, old) == {}
    assert changed_patch(old, old.replace(speed=1.2)) == {"audio": {"output": {"speed": 1.2}}}
    assert changed_patch(old, old.replace(voice="cedar", instructions="Be kind.")) == {
        "instructions": "Be kind.", "audio": {"output": {"voice": "cedar"}}}


def test_turn_detection_goes_whole_and_keeps_the_clients_barge_in() -> None:
    patch = session_patch(LiveSettings(turn_detection="server_vad", threshold=0.7,
                                       silence_ms=600, eagerness="high"))
    assert patch["audio"]["input"]["turn_detection"] == {
        "type": "server_vad", "threshold": 0.7, "silence_duration_ms": 600,
        "create_response": True, "interrupt_response": False}  # eagerness is semantic_vad's
    semantic = session_patch(LiveSettings(eagerness="low"))
    assert semantic["audio"]["input"]["turn_detection"]["type"] == "semantic_vad"
    assert session_patch(LiveSettings(turn_detection="semantic_vad"), mode="ptt") == {}


def test_noise_off_clears_it_and_transcription_takes_the_model_in_use() -> None:
    assert session_patch(LiveSettings(noise_reduction="off")) == {
        "audio": {"input": {"noise_reduction": None}}}
    patch = session_patch(LiveSettings(language="de"), transcription_model="whisper-1")
    assert patch["audio"]["input"]["transcription"] == {"model": "whisper-1", "language": "de"}


def test_merge_replaces_whole_objects_and_merges_the_rest() -> None:
    base = {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.5}},
                      "output": {"voice": "marin"}}}
    merged = merge_session(base, {"audio": {
        "input": {"turn_detection": {"type": "semantic_vad", "eagerness": "low"}},
        "output": {"speed": 1.1}}})
    assert merged["audio"]["input"]["turn_detection"] == {"type": "semantic_vad",
                                                           "eagerness": "low"}
    assert merged["audio"]["output"] == {"voice": "marin", "speed": 1.1}
    assert base["audio"]["output"] == {"voice": "marin"}  # not changed in place


settings = st.builds(
    LiveSettings,
    voice=st.none() | st.sampled_from(VOICES),
    speed=st.none() | st.floats(0.25, 1.5),
    instructions=st.none() | st.text(max_size=30),
    turn_detection=st.none() | st.sampled_from(("server_vad", "semantic_vad")),
    eagerness=st.none() | st.sampled_from(EAGERNESS),
    threshold=st.none() | st.floats(0.0, 1.0),
    silence_ms=st.none() | st.integers(0, 5000),
    noise_reduction=st.none() | st.sampled_from(NOISE_REDUCTIONS),
    transcription_model=st.none() | st.sampled_from(("whisper-1", "gpt-4o-transcribe")),
    language=st.none() | st.sampled_from(("en", "de", "fr")),
    prompt=st.none() | st.text(max_size=20),
)


@given(settings, settings)
def test_any_change_of_valid_settings_is_a_valid_session_update(old: LiveSettings,
                                                                new: LiveSettings) -> None:
    patch = changed_patch(old, new, transcription_model="gpt-4o-mini-transcribe")
    event: dict[str, Any] = {"type": "session.update", "session": {"type": "realtime", **patch}}
    assert validate_client_event(event, Dialect.GA) is None
    assert changed_patch(new, new) == {}


@given(settings)
def test_merging_a_patch_twice_changes_nothing_more(s: LiveSettings) -> None:
    patch = session_patch(s, transcription_model="whisper-1")
    once = merge_session({}, patch)
    assert merge_session(once, patch) == once


def test_the_core_sends_a_valid_update_and_compares_the_answer_with_it() -> None:
    h = Harness()
    h.start()
    patch = session_patch(LiveSettings(turn_detection="semantic_vad", eagerness="low"))
    sent = sends(h.do(UpdateSession(patch)))
    assert sent[0]["session"]["type"] == "realtime"
    assert sent[0]["session"]["audio"]["input"]["turn_detection"]["type"] == "semantic_vad"
    answer = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad"}}}}
    actions = h.ev("session.updated", session=answer)
    assert any("turn detection is server_vad (asked for semantic_vad)" in n
               for n in notices(actions, "warning"))


def test_an_invalid_update_is_said_in_the_servers_words_and_not_sent() -> None:
    h = Harness()
    h.start()
    actions = h.do(UpdateSession({"audio": {"output": {"speed": 2}}}))
    assert sends(actions) == []
    assert "Expected a value <= 1.5, but got 2 instead." in notices(actions, "error")[0]


def test_transcribe_mode_updates_a_transcription_session() -> None:
    h = Harness(mode="transcribe")
    h.start()
    sent = sends(h.do(UpdateSession(session_patch(LiveSettings(noise_reduction="far_field"),
                                                  mode="transcribe"))))
    assert sent[0]["session"] == {"type": "transcription",
                                  "audio": {"input": {"noise_reduction": {"type": "far_field"}}}}


def test_what_the_server_applied_is_read_for_the_status_bar() -> None:
    reported = read_reported({"audio": {
        "input": {"noise_reduction": None, "transcription": {"model": "m", "language": "en"},
                  "turn_detection": {"type": "server_vad", "threshold": 0.6,
                                     "silence_duration_ms": 500}},
        "output": {"voice": "marin", "speed": 1.2}}})
    assert (reported.voice, reported.speed, reported.threshold, reported.silence_ms,
            reported.noise_reduction, reported.transcription_language) == (
        "marin", 1.2, 0.6, 500.0, "off", "en")
