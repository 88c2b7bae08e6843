"""What the validator must accept: reference examples, every legal null, any model/deployment name.

A validator that rejects valid configs is worse than none (the client would refuse to send what
the server takes), so these are as important as the error tests.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event, validate_session

BETA, GA = Dialect.BETA, Dialect.GA

#: Real GA session.created (reference §3.2, Dec 2025), read-only fields included.
GA_SESSION_CREATED: dict[str, Any] = {
    "type": "realtime",
    "object": "realtime.session",
    "id": "sess_C9abc",
    "model": "gpt-realtime",
    "output_modalities": ["audio"],
    "instructions": "Your knowledge cutoff is 2023-10. You are a helpful assistant.",
    "tools": [],
    "tool_choice": "auto",
    "max_output_tokens": "inf",
    "tracing": None,
    "truncation": "auto",
    "prompt": None,
    "expires_at": 1767233035,
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
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
    },
    "include": None,
}

#: Beta session.created example (reference §3.1, OpenAPI spec 2025-04).
BETA_SESSION_CREATED: dict[str, Any] = {
    "id": "sess_001",
    "object": "realtime.session",
    "model": "gpt-4o-realtime-preview",
    "modalities": ["text", "audio"],
    "instructions": "...",
    "voice": "sage",
    "input_audio_format": "pcm16",
    "output_audio_format": "pcm16",
    "input_audio_transcription": None,
    "turn_detection": {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
    },
    "tools": [],
    "tool_choice": "auto",
    "temperature": 0.8,
    "max_response_output_tokens": "inf",
}

READ_ONLY = ("id", "object", "expires_at")


def without_read_only(session: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in session.items() if k not in READ_ONLY}


def test_real_ga_session_created_minus_read_only_fields_is_valid() -> None:
    session = without_read_only(GA_SESSION_CREATED)
    assert validate_session(session, GA) is None
    assert validate_client_event({"type": "session.update", "session": session}, GA) is None


def test_read_only_fields_are_rejected_like_the_server_does() -> None:
    error = validate_session(GA_SESSION_CREATED, GA)
    assert error is not None and error.code == "unknown_parameter"
    assert error.param in {f"session.{k}" for k in READ_ONLY}


def test_beta_session_created_minus_read_only_fields_is_valid() -> None:
    session = without_read_only(BETA_SESSION_CREATED)
    assert validate_session(session, BETA) is None
    assert validate_client_event({"type": "session.update", "session": session}, BETA) is None


def test_shapes_do_not_cross_dialects() -> None:
    assert validate_session(without_read_only(GA_SESSION_CREATED), BETA) is not None
    assert validate_session(without_read_only(BETA_SESSION_CREATED), GA) is not None


@pytest.mark.parametrize(
    "session",
    [
        {"turn_detection": None},
        {"input_audio_transcription": None},
        {"input_audio_noise_reduction": None},
        {"tracing": None},
        {"tracing": "auto"},
        {"tracing": {"workflow_name": "w", "group_id": "g", "metadata": {"a": 1}}},
        {"turn_detection": {"type": "semantic_vad", "eagerness": "low"}},
        {"input_audio_noise_reduction": {"type": "far_field"}},
        {"speed": 0.25},
        {"speed": 1.5},
        {"temperature": 0.6},
        {"temperature": 1.2},
        {"max_response_output_tokens": 1},
        {"max_response_output_tokens": 4096},
        {"tools": [{"type": "function", "name": "f", "description": "d", "parameters": {}}]},
        {"modalities": ["text"]},
        {"voice": "some-future-voice"},
    ],
)
def test_beta_legal_values(session: dict[str, Any]) -> None:
    assert validate_session(session, BETA) is None


@pytest.mark.parametrize(
    "session",
    [
        {"audio": {"input": {"turn_detection": None}}},
        {"audio": {"input": {"transcription": None}}},
        {"audio": {"input": {"noise_reduction": None}}},
        {"audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": None}}}},
        {"audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}}},
        {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "auto"}}}},
        {"tracing": None},
        {"prompt": None},
        {"include": None},
        {"include": ["item.input_audio_transcription.logprobs"]},
        {"prompt": {"id": "pmpt_1", "version": "2", "variables": {"city": "Paris"}}},
        {"truncation": "disabled"},
        {"truncation": {"type": "retention_ratio", "retention_ratio": 0.5}},
        {"tool_choice": {"type": "function", "name": "lookup"}},
        {"output_modalities": ["text"]},
        {"audio": {"output": {"voice": {"id": "voice_123"}}}},
        {"audio": {"output": {"voice": "marin", "format": {"type": "audio/pcmu"}}}},
        {"audio": {"input": {"format": {"type": "audio/pcma"}}}},
        {"max_output_tokens": 4096},
    ],
)
def test_ga_legal_values(session: dict[str, Any]) -> None:
    assert validate_session({"type": "realtime", **session}, GA) is None


@pytest.mark.parametrize("azure", [False, True])
@pytest.mark.parametrize("model", ["gpt-realtime", "my-prod-deployment", "gpt-realtime-9"])
def test_any_model_or_deployment_name(model: str, azure: bool) -> None:
    transcribe = {"model": f"{model}-transcribe"}
    ga_session = {
        "type": "realtime",
        "model": model,
        "audio": {"input": {"transcription": transcribe}},
    }
    assert validate_session(ga_session, GA, azure=azure) is None
    beta_session = {"model": model, "input_audio_transcription": transcribe}
    assert validate_session(beta_session, BETA, azure=azure) is None
    beta_transcription = {"input_audio_transcription": transcribe}
    assert validate_session(beta_transcription, BETA, azure=azure, transcription=True) is None


def test_ga_transcription_session() -> None:
    session = {
        "type": "transcription",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": "gpt-4o-transcribe-diarize", "language": "en"},
                "turn_detection": None,
                "noise_reduction": {"type": "near_field"},
            }
        },
        "include": ["item.input_audio_transcription.logprobs"],
    }
    assert validate_session(session, GA) is None
    assert validate_session(session, GA, transcription=True) is None
    realtime = {"type": "realtime"}
    error = validate_session(realtime, GA, transcription=True)
    assert error is not None and error.param == "session.type"
    assert error.message == "Invalid value: 'realtime'. Supported values are: 'transcription'."
    # an output section makes no sense for a transcription session
    bad = copy.deepcopy(session)
    bad["audio"]["output"] = {"voice": "alloy"}
    error = validate_session(bad, GA)
    assert error is not None and error.message == "Unknown parameter: 'session.audio.output'."


def test_beta_transcription_session_update() -> None:
    event = {
        "type": "transcription_session.update",
        "session": {
            "input_audio_format": "g711_ulaw",
            "input_audio_transcription": {
                "model": "whisper-1",
                "prompt": "names",
                "language": "en",
            },
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
            "input_audio_noise_reduction": None,
            "include": ["item.input_audio_transcription.logprobs"],
        },
    }
    assert validate_client_event(event, BETA) is None
    error = validate_client_event(event, GA)
    assert error is not None and error.param == "type"


VALID_EVENTS: list[tuple[Dialect, dict[str, Any]]] = [
    (GA, {"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e1"}),
    (BETA, {"type": "input_audio_buffer.append", "audio": "AAAA"}),
    (GA, {"type": "input_audio_buffer.commit"}),
    (BETA, {"type": "input_audio_buffer.clear"}),
    (GA, {"type": "output_audio_buffer.clear"}),
    (BETA, {"type": "output_audio_buffer.clear", "event_id": "x"}),
    (GA, {"type": "response.cancel"}),
    (BETA, {"type": "response.cancel", "response_id": "resp_1"}),
    (GA, {"type": "response.create"}),
    (
        GA,
        {
            "type": "response.create",
            "response": {
                "output_modalities": ["text"],
                "instructions": "Be brief.",
                "audio": {"output": {"voice": "marin", "format": {"type": "audio/pcm"}}},
                "max_output_tokens": 200,
                "conversation": "none",
                "metadata": {"topic": "x"},
                "input": [{"type": "item_reference", "id": "item_1"}],
            },
        },
    ),
    (
        BETA,
        {
            "type": "response.create",
            "response": {
                "modalities": ["text", "audio"],
                "voice": "alloy",
                "output_audio_format": "g711_alaw",
                "temperature": 0.7,
                "max_response_output_tokens": "inf",
                "conversation": "auto",
            },
        },
    ),
    (
        GA,
        {
            "type": "conversation.item.create",
            "previous_item_id": "root",
            "item": {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "hi"},
                    {"type": "input_audio", "audio": "AAAA", "transcript": "hi"},
                ],
            },
        },
    ),
    (
        GA,
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "system",
                "content": [{"type": "input_text", "text": "x"}],
            },
        },
    ),
    (
        GA,
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": "call_1", "output": "{}"},
        },
    ),
    (
        BETA,
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hi"}],
            },
        },
    ),
    (GA, {"type": "conversation.item.retrieve", "item_id": "item_1"}),
    (BETA, {"type": "conversation.item.delete", "item_id": "item_1"}),
    (
        GA,
        {
            "type": "conversation.item.truncate",
            "item_id": "item_1",
            "content_index": 0,
            "audio_end_ms": 1500,
        },
    ),
]


@pytest.mark.parametrize(("dialect", "event"), VALID_EVENTS)
def test_valid_events(dialect: Dialect, event: dict[str, Any]) -> None:
    assert validate_client_event(event, dialect) is None


def test_azure_ga_accepts_session_close() -> None:
    assert validate_client_event({"type": "session.close"}, GA, azure=True) is None
    error = validate_client_event({"type": "session.close"}, GA)
    assert error is not None and error.param == "type"
    error = validate_client_event({"type": "session.close", "x": 1}, GA, azure=True)
    assert error is not None and error.message == "Unknown parameter: 'x'."


def test_validation_does_not_mutate_input() -> None:
    session = without_read_only(GA_SESSION_CREATED)
    before = copy.deepcopy(session)
    validate_session(session, GA)
    validate_session({**session, "bogus": 1}, GA)
    assert session == before
