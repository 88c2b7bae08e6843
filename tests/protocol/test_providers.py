"""The provider profiles: session rewrites, inbound aliases, benign errors, lints (sans-IO)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.providers import (
    INPUT_DELTA,
    NAMES,
    PROFILES,
    READY_EVENTS,
    XAI_INPUT_UPDATED,
    InboundAliases,
    UnknownProvider,
    from_wire_session,
    is_benign_error,
    is_ready,
    minutes_cost_usd,
    outbound_event,
    profile_for,
    profile_problems,
    to_wire_session,
    validation_session,
    with_default_voice,
)
from voicechat.protocol.validation import validate_session

XAI = PROFILES["xai"]
OPENAI = PROFILES["openai"]
VOICE_LIVE = PROFILES["voice-live"]

_SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_VALUE = st.recursive(_SCALAR, lambda inner: st.dictionaries(
    st.text(max_size=4), inner, max_size=3), max_leaves=6)
_GA_SESSION = st.fixed_dictionaries(
    {"type": st.just("realtime")},
    optional={
        "instructions": st.text(max_size=10),
        "audio": st.fixed_dictionaries({}, optional={
            "input": st.fixed_dictionaries({}, optional={
                "turn_detection": st.none() | st.fixed_dictionaries(
                    {"type": st.sampled_from(["server_vad", "semantic_vad"])}),
                "format": st.just({"type": "audio/pcm", "rate": 24000}),
                "transcription": st.just({"model": "grok-transcribe"}),
            }),
            "output": st.fixed_dictionaries({}, optional={
                "voice": st.sampled_from(["Ara", "eve", "Rex"]),
                "speed": st.floats(0.5, 1.5),
            }),
        }),
        "tools": st.lists(st.just({"type": "function", "name": "f"}), max_size=2),
        "x_extra": _VALUE,
    },
)


def test_every_name_has_a_profile_and_unknown_names_list_the_choices() -> None:
    assert set(NAMES) == {"openai", "azure", "xai", "voice-live", "gemini"}
    with pytest.raises(UnknownProvider, match="openai, azure, xai, voice-live, gemini"):
        profile_for("bogus")


def test_gemini_is_a_family_of_its_own_without_webrtc() -> None:
    gemini = PROFILES["gemini"]
    assert gemini.unavailable is None and gemini.family == "gemini"
    assert not gemini.capabilities.webrtc and gemini.key_env == ("GEMINI_API_KEY",
                                                                 "GOOGLE_API_KEY")


def test_xai_session_hoists_voice_and_turn_detection_and_drops_the_model() -> None:
    session = {"type": "realtime", "model": "grok-voice-latest",
               "audio": {"input": {"turn_detection": {"type": "server_vad"},
                                   "format": {"type": "audio/pcm", "rate": 24000}},
                         "output": {"voice": "Ara"}}}
    wire = to_wire_session(session, XAI)
    assert wire == {"type": "realtime", "voice": "Ara", "turn_detection": {"type": "server_vad"},
                    "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}
    assert session["audio"]["output"] == {"voice": "Ara"}  # the input is untouched


def test_openai_profile_changes_nothing() -> None:
    event = {"type": "session.update", "session": {"audio": {"output": {"voice": "marin"}}}}
    assert outbound_event(event, OPENAI) == event
    assert not OPENAI.rewrites and XAI.rewrites


@given(_GA_SESSION)
def test_xai_rewrite_round_trips(session: dict[str, Any]) -> None:
    """Hoisting and putting back give the session again (less an ``audio`` left empty)."""
    before = copy.deepcopy(session)
    back = from_wire_session(to_wire_session(session, XAI), XAI)
    assert session == before
    expected = copy.deepcopy(session)
    audio = expected.get("audio")
    if isinstance(audio, dict):
        for key in [k for k, v in audio.items() if v == {}]:
            del audio[key]
        if not audio:
            del expected["audio"]
    assert back == expected


@given(_GA_SESSION)
def test_xai_wire_session_never_nests_what_xai_reads_at_the_top(session: dict[str, Any]) -> None:
    wire = to_wire_session(session, XAI)
    audio = wire.get("audio", {})
    assert "voice" not in audio.get("output", {})
    assert "turn_detection" not in audio.get("input", {})
    assert "model" not in wire


def test_response_create_loses_tool_choice_only_where_there_is_none() -> None:
    event = {"type": "response.create", "response": {"tool_choice": "none", "instructions": "x"}}
    assert outbound_event(event, XAI) == {"type": "response.create",
                                          "response": {"instructions": "x"}}
    assert outbound_event(event, OPENAI) == event


def test_default_voice_is_always_sent_for_xai() -> None:
    assert with_default_voice({"type": "realtime"}, XAI)["audio"]["output"]["voice"] == "Ara"
    mine = {"type": "realtime", "audio": {"output": {"voice": "Rex"}}}
    assert with_default_voice(mine, XAI) == mine
    assert with_default_voice({"type": "realtime"}, OPENAI) == {"type": "realtime"}


def test_cumulative_updated_becomes_deltas_of_what_is_new() -> None:
    edge = InboundAliases(XAI)
    first = edge.canonical({"type": XAI_INPUT_UPDATED, "item_id": "i1", "transcript": "Tell me"})
    second = edge.canonical({"type": XAI_INPUT_UPDATED, "item_id": "i1",
                             "transcript": "Tell me about"})
    assert first is not None and first["type"] == INPUT_DELTA and first["delta"] == "Tell me"
    assert second is not None and second["delta"] == " about"
    assert edge.canonical({"type": XAI_INPUT_UPDATED, "item_id": "i1",
                           "transcript": "Tell me about"}) is None  # nothing new


def test_interim_completed_is_a_delta_and_the_last_one_is_final() -> None:
    edge = InboundAliases(XAI)
    interim = edge.canonical({"type": "conversation.item.input_audio_transcription.completed",
                              "item_id": "i1", "transcript": "Hi", "status": "in_progress"})
    assert interim is not None and interim["type"] == INPUT_DELTA and interim["delta"] == "Hi"
    final = {"type": "conversation.item.input_audio_transcription.completed", "item_id": "i1",
             "transcript": "Hi there"}
    assert edge.canonical(final) == final


@given(st.lists(st.text(alphabet="ab ", max_size=4), min_size=1, max_size=6))
def test_deltas_add_up_to_the_last_cumulative_text_that_extended(parts: list[str]) -> None:
    edge = InboundAliases(XAI)
    text, shown, expected = "", "", ""
    for part in parts:
        text += part
        out = edge.canonical({"type": XAI_INPUT_UPDATED, "item_id": "x", "transcript": text})
        if out is not None:
            shown += out["delta"]
        expected = text
    assert shown == expected


def test_session_events_come_back_nested() -> None:
    edge = InboundAliases(XAI)
    event = {"type": "session.updated", "session": {"type": "realtime", "voice": "Ara",
                                                    "turn_detection": {"type": "server_vad"}}}
    out = edge.canonical(event)
    assert out is not None
    assert out["session"]["audio"] == {"output": {"voice": "Ara"},
                                       "input": {"turn_detection": {"type": "server_vad"}}}


def test_benign_races_by_code_and_by_xai_wording() -> None:
    assert is_benign_error({"code": "response_cancel_not_active"}, OPENAI)
    assert is_benign_error({"code": None, "message": "Cancellation failed: no active response "
                                                     "found"}, XAI)
    assert not is_benign_error({"code": "invalid_value", "message": "bad"}, XAI)
    assert not is_benign_error("nonsense", XAI)


def test_ready_is_any_of_three_events() -> None:
    assert {"session.created", "session.updated", "conversation.created"} == READY_EVENTS
    assert all(is_ready(kind) for kind in READY_EVENTS)
    assert not is_ready("response.done")


def test_minutes_cost() -> None:
    assert minutes_cost_usd(XAI, 120) == pytest.approx(0.10)
    assert minutes_cost_usd(OPENAI, 120) is None


def test_voice_live_extras_validate_as_beta() -> None:
    session = {"turn_detection": {"type": "azure_semantic_vad", "remove_filler_words": True,
                                  "silence_duration_ms": 500},
               "input_audio_echo_cancellation": {"type": "server_echo_cancellation"},
               "voice": "alloy"}
    assert validate_session(session, Dialect.BETA, azure=True) is not None
    assert validate_session(validation_session(session, VOICE_LIVE), Dialect.BETA,
                            azure=True) is None
    azure_voice = {"voice": {"name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard"}}
    assert validate_session(azure_voice, Dialect.BETA, azure=True) is not None
    assert validation_session(azure_voice, VOICE_LIVE)["voice"] == (
        "en-US-Ava:DragonHDLatestNeural")
    assert validate_session(validation_session(azure_voice, VOICE_LIVE), Dialect.BETA,
                            azure=True) is None
    assert validation_session(azure_voice, OPENAI)["voice"] == azure_voice["voice"]  # VL only


def test_xai_lints_say_what_the_schema_cannot() -> None:
    problems = profile_problems({"model": "grok-voice-latest",
                                 "audio": {"output": {"voice": "Ara"}}}, XAI)
    assert [p.level for p in problems] == ["error", "error"]
    assert "session.model" in problems[0].message
    assert "session.audio.output.voice" in problems[1].message
    assert profile_problems({"voice": "Ara"}, XAI) == []
    assert [p.level for p in profile_problems({"turn_detection": None}, XAI)] == [
        "warning", "warning"]


def test_the_outbox_validates_voice_live_extras_as_beta_and_sends_them() -> None:
    from voicechat.core.actions import Send
    from voicechat.core.outbox import Outbox

    outbox = Outbox(Dialect.BETA, azure=True, profile=VOICE_LIVE)
    session = {"type": "realtime",
               "input_audio_echo_cancellation": {"type": "server_echo_cancellation"},
               "audio": {"input": {"turn_detection": {"type": "azure_semantic_vad"}}}}
    [action] = outbox.render({"type": "session.update", "session": session})
    assert isinstance(action, Send)
    sent = action.event["session"]
    assert sent["turn_detection"]["type"] == "azure_semantic_vad"
    assert "input_audio_echo_cancellation" in sent


def test_the_core_reads_xai_as_ga() -> None:
    """The session core, fed xAI's frames, shows the streaming transcript and takes a late
    cancel as information."""
    from voicechat.core import Session, SessionPolicy
    from voicechat.core.actions import Notice, Send

    session = Session(SessionPolicy(provider="xai", transport="websocket"), strict=True)
    first = session.start(0.0)
    update = next(a.event for a in first if isinstance(a, Send))
    assert update["session"]["voice"] == "Ara" and "model" not in update["session"]
    session.receive({"type": "conversation.created", "conversation": {"id": "c"}}, 0.1)
    for text in ("Tell me", "Tell me a joke"):
        session.receive({"type": XAI_INPUT_UPDATED, "item_id": "u1", "transcript": text}, 0.2)
    assert [e.text for e in session.view.entries] == ["Tell me a joke"]
    said = session.receive({"type": "error", "error": {
        "type": "invalid_request_error", "code": None,
        "message": "Cancellation failed: no active response found"}}, 0.3)
    notices = [a for a in said if isinstance(a, Notice)]
    assert notices and all(n.level == "info" for n in notices)


@pytest.mark.parametrize("usage", [None, {}, {"total_tokens": None, "input_tokens": None,
                                              "output_tokens": None}])
def test_xai_empty_usage_is_no_failure(usage: Any) -> None:
    """SpeakNow saw "all values are None", pipecat "empty usage": a response, no tokens."""
    from voicechat.core import Session, SessionPolicy
    from voicechat.core.actions import Notice

    session = Session(SessionPolicy(provider="xai", transport="websocket"), strict=True)
    session.start(0.0)
    session.receive({"type": "response.created", "response": {"id": "r1"}}, 0.1)
    done = session.receive({"type": "response.done", "response": {
        "id": "r1", "status": "completed", "output": [], "usage": usage}}, 0.2)
    assert not [a for a in done if isinstance(a, Notice) and a.level != "info"]
    assert session.view.usage.responses == 1
    assert session.view.usage.total.input_text == 0


def test_xai_cost_follows_the_minutes() -> None:
    from voicechat.core import Session, SessionPolicy

    session = Session(SessionPolicy(provider="xai", transport="websocket"), strict=True)
    session.start(100.0)
    session.receive({"type": "response.created", "response": {"id": "r1"}}, 150.0)
    session.receive({"type": "response.done", "response": {
        "id": "r1", "status": "completed", "output": [], "usage": None}}, 160.0)
    usage = session.view.usage
    assert usage.minutes == pytest.approx(1.0)
    assert usage.cost_usd == pytest.approx(0.05)
    assert "/min" in usage.label
    from voicechat.ui.viewstate import usage_text

    assert usage_text(session.view) == "1.0 min · ~$0.050 est."  # the status bar's figure
    openai = Session(SessionPolicy(), strict=True)
    assert openai.view.usage.minutes is None


_EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from([XAI_INPUT_UPDATED, INPUT_DELTA, "session.updated",
                              "conversation.item.input_audio_transcription.completed",
                              "input_audio_buffer.dtmf_event_received", "response.done"])
     | _VALUE},
    optional={"item_id": st.one_of(st.text(max_size=3), st.integers()),
              "transcript": _VALUE, "delta": _VALUE, "status": _VALUE, "session": _VALUE})


@given(st.lists(_EVENT, max_size=12))
def test_the_inbound_edge_never_raises_on_what_the_wire_sends(events: list[dict[str, Any]]
                                                               ) -> None:
    """Nothing from the wire may raise: odd types in any field become nothing or pass on."""
    edge = InboundAliases(XAI)
    for event in events:
        out = edge.canonical(event)
        assert out is None or out.get("type") == event.get("type") or out["type"] == INPUT_DELTA


def test_an_odd_frame_on_xai_is_a_notice_not_a_crash() -> None:
    from voicechat.core import Session, SessionPolicy
    from voicechat.core.actions import Notice

    session = Session(SessionPolicy(provider="xai", transport="websocket"))
    session.start(0.0)
    said = session.receive_wire('{"type": {"not": "a string"}}', 0.1)
    assert all(isinstance(a, Notice) for a in said)


def test_a_short_xai_session_is_priced_in_seconds_not_zero_minutes() -> None:
    """A 25-second run priced at $0.0010 read "0.0 min": under a minute, say the seconds."""
    from voicechat.core import Session, SessionPolicy
    from voicechat.lines.realtime import connected_text
    from voicechat.ui.viewstate import usage_text

    session = Session(SessionPolicy(provider="xai", transport="websocket"), strict=True)
    session.start(100.0)
    session.receive({"type": "response.created", "response": {"id": "r1"}}, 110.0)
    session.receive({"type": "response.done", "response": {
        "id": "r1", "status": "completed", "output": [], "usage": None}}, 125.0)
    assert usage_text(session.view) == "25 s · ~$0.021 est."
    assert connected_text(25.4) == "25 s"
    assert connected_text(90.0) == "1.5 min"
