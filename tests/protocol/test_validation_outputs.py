"""The validator reports what the real server reports: the 18 outputs of reference §9 and more.

Every expected message below is the server's wording as catalogued in
``docs/reference-notes.md`` ("Error events" for the observed messages, "Validation").
"""

from __future__ import annotations

from typing import Any

import pytest

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event, validate_session

BETA, GA = Dialect.BETA, Dialect.GA


def update(session: Any) -> dict[str, Any]:
    return {"type": "session.update", "session": session}


def ga(**fields: Any) -> dict[str, Any]:
    return update({"type": "realtime", **fields})


def turn(**fields: Any) -> dict[str, Any]:
    return {"audio": {"input": {"turn_detection": {"type": "server_vad", **fields}}}}


# (dialect, event, code, message, param) — reference §9, in its order.
REFERENCE_18 = [
    (
        BETA,
        update({"turn_detection": {"type": "server_vad", "max_speech_ms": 5000}}),
        "unknown_parameter",
        "Unknown parameter: 'session.turn_detection.max_speech_ms'.",
        "session.turn_detection.max_speech_ms",
    ),
    (
        BETA,
        update({"turn_detection": {"type": "server_vad", "post_speech_silence_ms": 400}}),
        "unknown_parameter",
        "Unknown parameter: 'session.turn_detection.post_speech_silence_ms'.",
        "session.turn_detection.post_speech_silence_ms",
    ),
    (
        BETA,
        update({"output_audio_format": {"type": "audio/pcm", "rate": 24000}}),
        "invalid_type",
        "Invalid type for 'session.output_audio_format': expected one of 'pcm16', 'g711_ulaw', "
        "'g711_alaw', but got an object instead.",
        "session.output_audio_format",
    ),
    (
        BETA,
        update({"output_audio_format": "pcm24"}),
        "invalid_value",
        "Invalid value: 'pcm24'. Supported values are: 'pcm16', 'g711_ulaw', and 'g711_alaw'.",
        "session.output_audio_format",
    ),
    (
        BETA,
        update({"turn_detection": {"type": "server_vad", "threshold": "0.5"}}),
        "invalid_type",
        "Invalid type for 'session.turn_detection.threshold': expected a decimal, "
        "but got a string instead.",
        "session.turn_detection.threshold",
    ),
    (
        BETA,
        update({"turn_detection": {"type": "server_vad", "silence_duration_ms": 500.5}}),
        "invalid_type",
        "Invalid type for 'session.turn_detection.silence_duration_ms': expected an integer, "
        "but got a decimal instead.",
        "session.turn_detection.silence_duration_ms",
    ),
    (
        BETA,
        update({"type": "realtime", "instructions": "hi"}),
        "unknown_parameter",
        "Unknown parameter: 'session.type'.",
        "session.type",
    ),
    (
        BETA,
        update({"audio": {"output": {"voice": "alloy"}}}),
        "unknown_parameter",
        "Unknown parameter: 'session.audio'.",
        "session.audio",
    ),
    (
        BETA,
        update({"temperature": 0.2}),
        "decimal_below_min_value",
        "Invalid 'session.temperature': decimal below minimum value. "
        "Expected a value >= 0.6, but got 0.2 instead.",
        "session.temperature",
    ),
    (
        GA,
        update({"instructions": "hi", "audio": {"output": {"voice": "marin"}}}),
        "missing_required_parameter",
        "Missing required parameter: 'session.type'.",
        "session.type",
    ),
    (
        GA,
        update({"type": "session"}),
        "invalid_value",
        "Invalid value: 'session'. Supported values are: 'realtime' and 'transcription'.",
        "session.type",
    ),
    (
        GA,
        ga(input_audio_format="pcm16"),
        "unknown_parameter",
        "Unknown parameter: 'session.input_audio_format'.",
        "session.input_audio_format",
    ),
    (
        GA,
        ga(**turn(max_speech_ms=5000)),
        "unknown_parameter",
        "Unknown parameter: 'session.audio.input.turn_detection.max_speech_ms'.",
        "session.audio.input.turn_detection.max_speech_ms",
    ),
    (
        GA,
        ga(**turn(eagerness="high")),
        "unknown_parameter",
        "Unknown parameter: 'session.audio.input.turn_detection.eagerness'.",
        "session.audio.input.turn_detection.eagerness",
    ),
    (
        GA,
        ga(audio={"input": {"format": "pcm16"}}),
        "invalid_type",
        "Invalid type for 'session.audio.input.format': expected an object, "
        "but got a string instead.",
        "session.audio.input.format",
    ),
    (
        GA,
        ga(audio={"input": {"format": {"type": "audio/pcm", "rate": 16000}}}),
        "invalid_value",
        "Invalid value: 16000. Supported values are: 24000.",
        "session.audio.input.format.rate",
    ),
    (
        GA,
        ga(audio={"output": {"speed": 2.0}}),
        "decimal_above_max_value",
        "Invalid 'session.audio.output.speed': decimal above maximum value. "
        "Expected a value <= 1.5, but got 2.0 instead.",
        "session.audio.output.speed",
    ),
    (
        GA,
        ga(temperature=0.8),
        "unknown_parameter",
        "Unknown parameter: 'session.temperature'.",
        "session.temperature",
    ),
]


@pytest.mark.parametrize(
    ("dialect", "event", "code", "message", "param"),
    REFERENCE_18,
    ids=[f"{d.value}-{i}" for i, (d, *_rest) in enumerate(REFERENCE_18)],
)
def test_reference_outputs(
    dialect: Dialect, event: dict[str, Any], code: str, message: str, param: str
) -> None:
    error = validate_client_event(event, dialect)
    assert error is not None
    assert (error.code, error.message, error.param) == (code, message, param)
    assert error.type == "invalid_request_error"


@pytest.mark.parametrize(("dialect", "event", "code", "message", "param"), REFERENCE_18)
def test_bare_session_gives_the_same_error(
    dialect: Dialect, event: dict[str, Any], code: str, message: str, param: str
) -> None:
    error = validate_session(event["session"], dialect)
    assert error is not None
    assert (error.code, error.message, error.param) == (code, message, param)


def test_unknown_event_type_lists_every_supported_type() -> None:
    error = validate_client_event({"type": "foo.bar"}, GA)
    assert error is not None
    assert error.code == "invalid_value" and error.param == "type"
    assert error.message.startswith("Invalid value: 'foo.bar'. Supported values are: ")
    assert "'conversation.item.create'" in error.message
    assert error.message.endswith(", and 'session.update'.")
    assert "transcription_session.update" not in error.message


def test_beta_lists_transcription_session_update() -> None:
    error = validate_client_event({"type": "foo.bar"}, BETA)
    assert error is not None
    assert error.message.endswith(", and 'transcription_session.update'.")


def test_missing_type_is_invalid_event() -> None:
    error = validate_client_event({"session": {}}, GA)
    assert error is not None
    assert (error.code, error.message, error.param) == (
        "invalid_event",
        "The 'type' field is missing.",
        "type",
    )


def test_non_string_type() -> None:
    error = validate_client_event({"type": 7}, BETA)
    assert error is not None and error.code == "invalid_type" and error.param == "type"
    assert "but got an integer instead." in error.message


# --- other events -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "event", "code", "message", "param"),
    [
        (
            GA,
            {"type": "response.create", "response": {"modalities": ["audio"]}},
            "unknown_parameter",
            "Unknown parameter: 'response.modalities'.",
            "response.modalities",
        ),
        (
            GA,
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "text", "text": "hello"}],
                },
            },
            "invalid_value",
            "Invalid value: 'text'. Supported values are: 'output_text' and 'output_audio'.",
            "item.content[0].type",
        ),
        (
            GA,
            {"type": "input_audio_buffer.append"},
            "missing_required_parameter",
            "Missing required parameter: 'audio'.",
            "audio",
        ),
        (
            BETA,
            {"type": "input_audio_buffer.append", "audio": 12},
            "invalid_type",
            "Invalid type for 'audio': expected a string, but got an integer instead.",
            "audio",
        ),
        (
            GA,
            ga(tools=[{"type": "function", "name": "f", "meta": {}}]),
            "unknown_parameter",
            "Unknown parameter: 'session.tools[0].meta'.",
            "session.tools[0].meta",
        ),
        (
            GA,
            {"type": "conversation.item.truncate", "item_id": "item_1", "content_index": 0},
            "missing_required_parameter",
            "Missing required parameter: 'audio_end_ms'.",
            "audio_end_ms",
        ),
        (
            GA,
            {
                "type": "conversation.item.truncate",
                "item_id": "item_1",
                "content_index": 0,
                "audio_end_ms": -5,
            },
            "integer_below_min_value",
            "Invalid 'audio_end_ms': integer below minimum value. "
            "Expected a value >= 0, but got -5 instead.",
            "audio_end_ms",
        ),
        (
            BETA,
            {"type": "conversation.item.delete"},
            "missing_required_parameter",
            "Missing required parameter: 'item_id'.",
            "item_id",
        ),
        (
            GA,
            {"type": "conversation.item.retrieve", "item_id": "item_1", "extra": 1},
            "unknown_parameter",
            "Unknown parameter: 'extra'.",
            "extra",
        ),
        (
            GA,
            {"type": "response.cancel", "response_id": 5},
            "invalid_type",
            "Invalid type for 'response_id': expected a string, but got an integer instead.",
            "response_id",
        ),
        (
            GA,
            {"type": "input_audio_buffer.commit", "item": "x"},
            "unknown_parameter",
            "Unknown parameter: 'item'.",
            "item",
        ),
        (
            BETA,
            {"type": "input_audio_buffer.clear", "event_id": "e" * 600},
            "string_above_max_length",
            "Invalid 'event_id': string too long. Expected a string with maximum length 512, "
            "but got a string with length 600 instead.",
            "event_id",
        ),
        (
            GA,
            {"type": "output_audio_buffer.clear", "response_id": "resp_1"},
            "unknown_parameter",
            "Unknown parameter: 'response_id'.",
            "response_id",
        ),
        (
            BETA,
            {"type": "transcription_session.update", "session": {"voice": "alloy"}},
            "unknown_parameter",
            "Unknown parameter: 'session.voice'.",
            "session.voice",
        ),
        (
            GA,
            ga(max_output_tokens=5000),
            "integer_above_max_value",
            "Invalid 'session.max_output_tokens': integer above maximum value. "
            "Expected a value <= 4096, but got 5000 instead.",
            "session.max_output_tokens",
        ),
        (
            BETA,
            update({"max_response_output_tokens": "infinite"}),
            "invalid_value",
            "Invalid value: 'infinite'. Supported values are: 'inf'.",
            "session.max_response_output_tokens",
        ),
        (
            GA,
            ga(**turn(idle_timeout_ms=1000)),
            "integer_below_min_value",
            "Invalid 'session.audio.input.turn_detection.idle_timeout_ms': integer below minimum "
            "value. Expected a value >= 5000, but got 1000 instead.",
            "session.audio.input.turn_detection.idle_timeout_ms",
        ),
        (
            GA,
            ga(audio={"input": {"turn_detection": {"threshold": 0.4}}}),
            "missing_required_parameter",
            "Missing required parameter: 'session.audio.input.turn_detection.type'.",
            "session.audio.input.turn_detection.type",
        ),
        (
            GA,
            ga(audio={"input": {"turn_detection": {"type": "azure_semantic_vad"}}}),
            "invalid_value",
            "Invalid value: 'azure_semantic_vad'. Supported values are: 'server_vad' and "
            "'semantic_vad'.",
            "session.audio.input.turn_detection.type",
        ),
        (
            GA,
            ga(**turn(threshold=1.5)),
            "decimal_above_max_value",
            "Invalid 'session.audio.input.turn_detection.threshold': decimal above maximum value. "
            "Expected a value <= 1, but got 1.5 instead.",
            "session.audio.input.turn_detection.threshold",
        ),
        (
            GA,
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": "robot", "content": []},
            },
            "invalid_value",
            "Invalid value: 'robot'. Supported values are: 'system', 'user', and 'assistant'.",
            "item.role",
        ),
        (
            GA,
            update("realtime"),
            "invalid_type",
            "Invalid type for 'session': expected an object, but got a string instead.",
            "session",
        ),
        (
            GA,
            ga(audio={"input": {"noise_reduction": "near_field"}}),
            "invalid_type",
            "Invalid type for 'session.audio.input.noise_reduction': expected an object or "
            "null, but got a string instead.",
            "session.audio.input.noise_reduction",
        ),
        (
            GA,
            ga(output_modalities="audio"),
            "invalid_type",
            "Invalid type for 'session.output_modalities': expected an array, "
            "but got a string instead.",
            "session.output_modalities",
        ),
    ],
)
def test_client_events(
    dialect: Dialect, event: dict[str, Any], code: str, message: str, param: str
) -> None:
    error = validate_client_event(event, dialect)
    assert error is not None
    assert (error.code, error.message, error.param) == (code, message, param)


def test_first_problem_in_document_order() -> None:
    event = update({"voice": "alloy", "modalities": ["text"], "bogus": 1, "temperature": 5})
    error = validate_client_event(event, BETA)
    assert error is not None and error.param == "session.bogus"
    event = update({"temperature": 5, "bogus": 1})
    error = validate_client_event(event, BETA)
    assert error is not None and error.param == "session.temperature"


def test_missing_discriminator_beats_other_problems() -> None:
    error = validate_client_event(update({"modalities": ["text"], "voice": "alloy"}), GA)
    assert error is not None and error.message == "Missing required parameter: 'session.type'."


def test_error_event_envelope_echoes_client_event_id() -> None:
    event = {"type": "session.update", "event_id": "evt_9", "session": {"bogus": True}}
    error = validate_client_event(event, BETA)
    assert error is not None
    wire = error.to_event(client_event_id=event["event_id"])
    assert wire["error"]["event_id"] == "evt_9"
    assert wire["error"]["param"] == "session.bogus"
    assert wire["error"]["code"] == "unknown_parameter"


def test_expected_type_wording_for_unions() -> None:
    error = validate_session({"type": "realtime", "audio": {"output": {"voice": 5}}}, GA)
    assert error is not None and error.message == (
        "Invalid type for 'session.audio.output.voice': expected a string or an object, "
        "but got an integer instead."
    )
    error = validate_session({"type": "realtime", "max_output_tokens": True}, GA)
    assert error is not None and error.message == (
        "Invalid type for 'session.max_output_tokens': expected an integer or 'inf', "
        "but got a boolean instead."
    )
    error = validate_session({"type": "realtime", "tool_choice": "sometimes"}, GA)
    assert error is not None and error.message == (
        "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."
    )


def test_rejected_values_never_echo_secrets_or_megabytes() -> None:
    error = validate_session({"type": "realtime", "tracing": "ek_live_0123456789abcdef"}, GA)
    assert error is not None and "ek_live" not in error.message
    assert error.message.startswith("Invalid value: '[redacted]'.")
    error = validate_session({"output_audio_format": "A" * 100_000}, BETA)
    assert error is not None and len(error.message) < 400
