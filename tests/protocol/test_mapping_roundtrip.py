"""Beta ↔ GA mapping: round trips keep every field, and converted payloads validate.

The validator doubles as the oracle here: a beta session converted to GA must be a *valid* GA
session (and back), which is a much stronger check than comparing dicts alone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from voicechat.protocol import mapping
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event, validate_session

BETA, GA = Dialect.BETA, Dialect.GA

BETA_SESSION: dict[str, Any] = {
    "model": "gpt-4o-realtime-preview",
    "modalities": ["text", "audio"],
    "instructions": "Be brief.",
    "voice": "sage",
    "input_audio_format": "pcm16",
    "output_audio_format": "g711_ulaw",
    "input_audio_transcription": {"model": "whisper-1", "language": "en"},
    "turn_detection": {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "create_response": True,
        "interrupt_response": True,
    },
    "input_audio_noise_reduction": {"type": "near_field"},
    "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {}}],
    "tool_choice": "auto",
    "max_response_output_tokens": 1000,
    "speed": 1.1,
    "tracing": None,
}

GA_SESSION: dict[str, Any] = {
    "type": "realtime",
    "model": "gpt-realtime",
    "output_modalities": ["audio"],
    "instructions": "Be brief.",
    "tools": [],
    "tool_choice": "auto",
    "max_output_tokens": "inf",
    "tracing": None,
    "truncation": "auto",
    "prompt": None,
    "include": None,
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": None,
            "noise_reduction": None,
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 200,
                "idle_timeout_ms": None,
                "create_response": True,
                "interrupt_response": True,
            },
        },
        "output": {"format": {"type": "audio/pcma"}, "voice": "alloy", "speed": 1.0},
    },
}


def test_fixtures_are_valid_in_their_dialect() -> None:
    assert validate_session(BETA_SESSION, BETA) is None
    assert validate_session(GA_SESSION, GA) is None


def test_beta_session_to_ga_and_back_preserves_fields() -> None:
    original = copy.deepcopy(BETA_SESSION)
    as_ga = mapping.session_to_ga(BETA_SESSION)
    assert original == BETA_SESSION, "mapping must not mutate its input"
    assert validate_session(as_ga, GA) is None
    assert as_ga["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert as_ga["audio"]["input"]["turn_detection"] == BETA_SESSION["turn_detection"]
    assert as_ga["max_output_tokens"] == 1000
    assert mapping.session_to_beta(as_ga) == BETA_SESSION


def test_beta_temperature_is_dropped_for_ga() -> None:
    as_ga = mapping.session_to_ga({**BETA_SESSION, "temperature": 0.8})
    assert "temperature" not in as_ga
    assert validate_session(as_ga, GA) is None


@pytest.mark.parametrize("modalities", [["text"], ["text", "audio"]])
def test_modalities_round_trip(modalities: list[str]) -> None:
    as_ga = mapping.session_to_ga({"modalities": modalities})
    assert validate_session(as_ga, GA) is None
    assert mapping.session_to_beta(as_ga) == {"modalities": modalities}


def test_ga_session_to_beta_and_back_preserves_fields() -> None:
    as_beta = mapping.session_to_beta(GA_SESSION)
    # beta has no truncation/prompt/include; the mapping keeps them so a validator names them
    core = {k: v for k, v in as_beta.items() if k not in ("truncation", "prompt", "include")}
    # idle_timeout_ms is GA-only too: kept by the mapping, and named by the beta validator
    error = validate_session(core, BETA)
    assert error is not None
    assert error.message == "Unknown parameter: 'session.turn_detection.idle_timeout_ms'."
    core["turn_detection"] = {
        k: v for k, v in core["turn_detection"].items() if k != "idle_timeout_ms"
    }
    assert validate_session(core, BETA) is None
    assert as_beta["output_audio_format"] == "g711_alaw"
    assert as_beta["modalities"] == ["text", "audio"]
    assert mapping.session_to_ga(as_beta) == GA_SESSION


def test_unknown_keys_survive_so_the_validator_can_name_them() -> None:
    as_ga = mapping.session_to_ga({"turn_detection": {"type": "server_vad", "max_speech_ms": 1}})
    error = validate_session(as_ga, GA)
    assert error is not None
    assert error.param == "session.audio.input.turn_detection.max_speech_ms"
    as_beta = mapping.session_to_beta(
        {"type": "realtime", "audio": {"output": {"voice": "alloy", "pitch": 2}}}
    )
    error = validate_session(as_beta, BETA)
    assert error is not None and error.param == "session.audio"


def test_beta_transcription_session_update_maps_to_ga_session_update() -> None:
    event = {
        "type": "transcription_session.update",
        "session": {
            "input_audio_format": "pcm16",
            "input_audio_transcription": {"model": "gpt-4o-transcribe"},
            "turn_detection": None,
            "include": ["item.input_audio_transcription.logprobs"],
        },
    }
    assert validate_client_event(event, BETA) is None
    canonical = mapping.client_event_to_canonical(event, BETA)
    assert canonical["type"] == "session.update"
    assert canonical["session"]["type"] == "transcription"
    assert validate_client_event(canonical, GA) is None
    back = mapping.client_event_from_canonical(canonical, BETA)
    assert back == event


@pytest.mark.parametrize(
    "event",
    [
        {"type": "session.update", "session": BETA_SESSION},
        {
            "type": "response.create",
            "response": {
                "modalities": ["text"],
                "voice": "alloy",
                "output_audio_format": "pcm16",
                "max_response_output_tokens": "inf",
                "instructions": "x",
            },
        },
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "earlier answer"}],
            },
        },
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
        {
            "type": "conversation.item.truncate",
            "item_id": "i",
            "content_index": 0,
            "audio_end_ms": 5,
        },
    ],
    ids=lambda e: e["type"],
)
def test_client_events_beta_to_ga_to_beta(event: dict[str, Any]) -> None:
    assert validate_client_event(event, BETA) is None
    canonical = mapping.client_event_to_canonical(event, BETA)
    assert validate_client_event(canonical, GA) is None
    assert mapping.client_event_from_canonical(canonical, BETA) == event


GA_SERVER_EVENTS: list[dict[str, Any]] = [
    {"type": "session.created", "event_id": "e1", "session": {**GA_SESSION, "id": "sess_1"}},
    {
        "type": "session.updated",
        "event_id": "e2",
        "session": {
            "type": "transcription",
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}},
        },
    },
    {
        "type": "conversation.item.added",
        "previous_item_id": None,
        "item": {
            "id": "item_1",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [{"type": "output_audio", "transcript": "hi"}],
        },
    },
    {
        "type": "response.output_audio_transcript.delta",
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hel",
    },
    {"type": "response.output_text.done", "response_id": "r", "item_id": "i", "text": "Hello"},
    {"type": "response.output_audio.delta", "response_id": "r", "item_id": "i", "delta": "AAAA"},
    {
        "type": "response.done",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "output_modalities": ["audio"],
            "audio": {"output": {"format": {"type": "audio/pcmu"}, "voice": "marin"}},
            "max_output_tokens": "inf",
            "output": [
                {
                    "id": "item_1",
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_audio", "transcript": "Hello"}],
                }
            ],
        },
    },
    {"type": "input_audio_buffer.speech_started", "audio_start_ms": 100, "item_id": "i"},
    {
        "type": "response.content_part.added",
        "response_id": "r",
        "item_id": "i",
        "part": {"type": "audio", "transcript": ""},
    },
    {"type": "error", "error": {"type": "invalid_request_error", "message": "x"}},
]


@pytest.mark.parametrize("event", GA_SERVER_EVENTS, ids=lambda e: e["type"])
def test_ga_server_events_to_beta_and_back(event: dict[str, Any]) -> None:
    as_beta = mapping.server_event_from_canonical(event, BETA)
    assert as_beta is not None
    back = mapping.server_event_to_canonical(as_beta, BETA)
    assert back == event


def test_ga_server_event_names_become_beta_names() -> None:
    renamed = {e["type"]: mapping.server_event_from_canonical(e, BETA) for e in GA_SERVER_EVENTS}
    assert renamed["response.output_audio_transcript.delta"]["type"] == (  # type: ignore[index]
        "response.audio_transcript.delta"
    )
    assert renamed["conversation.item.added"]["type"] == "conversation.item.created"  # type: ignore[index]
    assert renamed["session.updated"]["type"] == "transcription_session.updated"  # type: ignore[index]
    item = renamed["conversation.item.added"]["item"]  # type: ignore[index]
    assert item["content"][0]["type"] == "audio"
    done = renamed["response.done"]["response"]  # type: ignore[index]
    assert done["output_audio_format"] == "g711_ulaw" and done["voice"] == "marin"


def test_ga_only_events_have_no_beta_form() -> None:
    for name in mapping.GA_ONLY_SERVER_EVENTS:
        assert mapping.server_event_from_canonical({"type": name}, BETA) is None


def test_ga_dialect_is_identity() -> None:
    for event in GA_SERVER_EVENTS:
        assert mapping.server_event_to_canonical(event, GA) == event
        assert mapping.server_event_from_canonical(event, GA) == event


def test_beta_response_objects_keep_max_output_tokens() -> None:
    """Only ``response.create`` spells it ``max_response_output_tokens`` in beta; the response
    object of ``response.created``/``.done`` is ``max_output_tokens`` (real beta logs)."""
    response = {"id": "r", "object": "realtime.response", "max_output_tokens": "inf"}
    created = mapping.server_event_from_canonical(
        {"type": "response.created", "response": response}, BETA
    )
    assert created is not None and created["response"]["max_output_tokens"] == "inf"
    assert "max_response_output_tokens" not in created["response"]
    create = mapping.client_event_from_canonical(
        {"type": "response.create", "response": {"max_output_tokens": 50}}, BETA
    )
    assert create["response"] == {"max_response_output_tokens": 50}


def test_obfuscation_is_ga_only() -> None:
    delta = {"type": "response.output_text.delta", "delta": "Hi", "obfuscation": "A5Nj2cC01aseXj"}
    assert mapping.server_event_from_canonical(delta, GA) == delta
    assert mapping.server_event_from_canonical(delta, BETA) == {
        "type": "response.text.delta",
        "delta": "Hi",
    }
