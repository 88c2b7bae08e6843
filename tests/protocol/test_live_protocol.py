"""GPT-Live names and validation against the official SDK's live types (openai 3.52.0).

The protocol package must not import ``openai`` at run time, so its lists and shapes are hand
kept; these tests keep them equal to the SDK's unions and models, and check the validator's
verdicts and wording on the documented mistakes.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.live import ClientEvent, ServerEvent, SessionConfig
from openai.types.live.responses_delegation_config import ResponsesDelegationConfig
from pydantic import BaseModel, TypeAdapter

from voicechat.protocol.live import errors, names
from voicechat.protocol.live.validation import (
    CLIENT_EVENT_SHAPES,
    MEDIA_SESSION_CONFIG,
    SESSION_CONFIG,
    detect_live,
    validate_client_event,
    validate_session_config,
)


def _union_types(union: Any) -> set[str]:
    members = typing.get_args(typing.get_args(union)[0])
    found: set[str] = set()
    for model in members:
        literal = model.model_fields["type"].annotation
        found.update(typing.get_args(literal))
    return found


def _fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def test_client_event_names_are_the_sdk_union() -> None:
    assert set(names.CLIENT_EVENTS) == _union_types(ClientEvent)
    assert set(CLIENT_EVENT_SHAPES) == set(names.CLIENT_EVENTS)


def test_server_event_names_are_the_sdk_union() -> None:
    assert set(names.SERVER_EVENTS) == _union_types(ServerEvent)


def test_each_client_event_shape_has_the_sdk_models_fields() -> None:
    members = typing.get_args(typing.get_args(ClientEvent)[0])
    for model in members:
        kind = typing.get_args(model.model_fields["type"].annotation)[0]
        assert set(CLIENT_EVENT_SHAPES[kind].fields) == _fields(model), kind


def test_session_config_fields_are_the_sdk_models() -> None:
    assert set(SESSION_CONFIG.fields) == _fields(SessionConfig)
    assert set(MEDIA_SESSION_CONFIG.fields) == _fields(SessionConfig)
    responses = SESSION_CONFIG.fields["delegation"].inner.variants["responses"]  # type: ignore[attr-defined]
    assert set(responses.fields["responses"].fields) == _fields(ResponsesDelegationConfig)


GOOD_START = {
    "type": "session.start",
    "event_id": "evt_1",
    "session": {
        "model": "gpt-live-1",
        "instructions": "Answer briefly.",
        "audio": {"format": {"type": "audio/pcm", "rate": 24000}, "output": {"voice": "marin"}},
        "input": [
            {"role": "developer", "content": [{"type": "input_text", "text": "Be kind."}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hi."}]},
        ],
        "delegation": {
            "type": "responses",
            "responses": {
                "model": "gpt-5.5",
                "tools": [
                    {"type": "web_search"},
                    {"type": "function", "name": "get_weather", "parameters": {"type": "object"}},
                ],
                "tool_choice": "auto",
                "reasoning": {"effort": "low"},
            },
        },
    },
}

GOOD_EVENTS: list[dict[str, Any]] = [
    GOOD_START,
    {"type": "session.input_audio.append", "audio": "AAAA"},
    {"type": "session.instructions.append", "content": "Greet the user.", "delegation_id": None},
    {"type": "session.commentary.append", "content": "It is sunny.", "delegation_id": "item_1"},
    {"type": "session.update", "session": {"delegation": {"type": "responses",
                                                          "responses": {"tools": []}}}},
    {"type": "response.item.create",
     "item": {"type": "function_call_output", "call_id": "call_1", "output": "{}"}},
    {"type": "response.create"},
    {"type": "session.close", "event_id": "bye"},
]


@pytest.mark.parametrize("event", GOOD_EVENTS, ids=lambda e: e["type"])
def test_documented_events_are_valid_for_us_and_for_the_sdk(event: dict[str, Any]) -> None:
    assert validate_client_event(event) is None
    TypeAdapter(ClientEvent).validate_python(event)


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "session.start", "session": {"model": "gpt-live-1", "temperature": 0.8}},
         errors.UNKNOWN_PARAMETER, "session.temperature"),
        ({"type": "session.start",
          "session": {"model": "gpt-live-1", "turn_detection": {"type": "server_vad"}}},
         errors.UNKNOWN_PARAMETER, "session.turn_detection"),
        ({"type": "session.start", "session": {}}, errors.MISSING_REQUIRED_PARAMETER,
         "session.model"),
        ({"type": "session.start",
          "session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm",
                                                                  "rate": 44100}}}},
         errors.INVALID_VALUE, "session.audio.format.rate"),
        ({"type": "session.instructions.append", "content": "hi"},
         errors.MISSING_REQUIRED_PARAMETER, "delegation_id"),
        ({"type": "session.instructions.append", "content": "x" * 1900, "delegation_id": None},
         errors.APPEND_TOO_LONG, "content"),
        ({"type": "input_audio_buffer.append", "audio": "AAAA"}, errors.INVALID_VALUE, "type"),
        ({"type": "session.start",
          "session": {"model": "gpt-live-1", "input": [
              {"role": "user", "content": [{"text": "hi"}]}] * 129}},
         errors.ARRAY_TOO_LONG, "session.input"),
    ],
)
def test_documented_mistakes_get_the_documented_error(
    event: dict[str, Any], code: str, param: str
) -> None:
    problem = validate_client_event(event)
    assert problem is not None
    assert (problem.code, problem.param) == (code, param)


def test_unknown_field_wording_and_append_limit_wording() -> None:
    problem = validate_client_event(
        {"type": "session.start", "session": {"model": "gpt-live-1", "temperature": 1}}
    )
    assert problem is not None and problem.message == "Unknown parameter: 'session.temperature'."
    long = validate_client_event(
        {"type": "session.thinking.append", "content": "y" * 1900, "delegation_id": None}
    )
    assert long is not None and long.message == "Context append text must not exceed 500 tokens"
    # the one probe of the real limit: ~1,756 characters passed
    ok = {"type": "session.thinking.append", "content": "y" * 1756, "delegation_id": None}
    assert validate_client_event(ok) is None


def test_webrtc_config_has_no_audio_format() -> None:
    session = {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm", "rate": 24000}}}
    assert validate_session_config(session) is None
    problem = validate_session_config(session, webrtc=True)
    assert problem is not None and problem.param == "session.audio.format"


def test_error_event_is_an_sdk_error_event() -> None:
    event = errors.unknown_parameter("session.x").to_event("c1", event_id="event_1")
    parsed = TypeAdapter(ServerEvent).validate_python(event)
    assert parsed.type == "error"
    assert event["client_event_id"] == event["error"]["client_event_id"] == "c1"


def test_detects_live_payloads() -> None:
    assert detect_live(GOOD_START)
    assert detect_live({"model": "gpt-live-1"})
    assert detect_live({"type": "session.update", "session": {"delegation": {"type": "client"}}})
    assert not detect_live({"type": "session.update", "session": {"instructions": "hi"}})
    assert not detect_live({"type": "realtime", "model": "gpt-realtime"})
    assert not detect_live({"type": "response.create"})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=12,
)


@given(st.sampled_from(names.CLIENT_EVENTS), st.dictionaries(st.text(max_size=12), _json,
                                                             max_size=4))
def test_validation_never_raises_and_agrees_with_the_sdk_on_acceptance(
    kind: str, extra: dict[str, Any]
) -> None:
    event = {**extra, "type": kind}
    problem = validate_client_event(event)
    if problem is None:  # what we accept, the SDK's models accept too
        TypeAdapter(ClientEvent).validate_python(event)
    else:
        assert problem.code and problem.message
