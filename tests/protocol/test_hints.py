"""Hints name the likely fix: the other dialect, a known rename, a typo, a read-only field."""

from __future__ import annotations

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError, invalid_value, unknown_parameter
from voicechat.protocol.hints import (
    hints_for,
    missing_type_hint,
    other_dialect_hint,
    read_only_hint,
    rename_hint,
    spelling_hint,
)
from voicechat.protocol.validation import validate_client_event, validate_session

BETA, GA = Dialect.BETA, Dialect.GA


def test_other_dialect_hint_only_when_valid_there() -> None:
    beta_event = {"type": "session.update", "session": {"voice": "alloy"}}
    assert other_dialect_hint(beta_event, GA) is not None
    assert "--dialect beta" in (other_dialect_hint(beta_event, GA) or "")
    broken_everywhere = {"type": "session.update", "session": {"nonsense": 1}}
    assert other_dialect_hint(broken_everywhere, GA) is None
    assert other_dialect_hint(broken_everywhere, BETA) is None


def test_other_dialect_hint_for_bare_beta_transcription_session() -> None:
    session = {"input_audio_transcription": {"model": "whisper-1"}, "include": []}
    assert validate_session(session, BETA) is not None  # not a realtime session
    hint = other_dialect_hint(session, GA, bare_session=True)
    assert hint is not None and "--dialect beta" in hint


def test_rename_hints_both_ways() -> None:
    assert rename_hint(unknown_parameter("session.input_audio_format"), GA) == (
        "'input_audio_format' is the beta name; in GA it is 'session.audio.input.format'"
    )
    assert rename_hint(unknown_parameter("response.modalities"), GA) == (
        "'modalities' is the beta name; in GA it is 'response.output_modalities'"
    )
    assert rename_hint(unknown_parameter("session.max_output_tokens"), BETA) == (
        "'max_output_tokens' is the GA name; in beta it is 'session.max_response_output_tokens'"
    )
    hint = rename_hint(unknown_parameter("session.audio"), BETA)
    assert hint is not None and "'turn_detection' (GA audio.input.turn_detection)" in hint
    assert rename_hint(unknown_parameter("session.temperature"), GA) is not None
    assert rename_hint(unknown_parameter("session.nonsense"), GA) is None
    assert rename_hint(ProtocolError("invalid_type", "x", "session.voice"), GA) is None


def test_spelling_hints() -> None:
    assert spelling_hint(unknown_parameter("session.instruction"), GA) == (
        "did you mean 'instructions'?"
    )
    assert spelling_hint(unknown_parameter("session.zzzzzz"), GA) is None
    bad_enum = invalid_value("session.output_audio_format", "pcm_16", ["pcm16", "g711_ulaw"])
    assert spelling_hint(bad_enum, BETA) == "did you mean 'pcm16'?"


def test_read_only_hint() -> None:
    assert read_only_hint(unknown_parameter("session.expires_at")) is not None
    assert read_only_hint(unknown_parameter("session.audio.id")) is None


def test_missing_type_hint_checks_the_rest() -> None:
    error = validate_session({"voice": "alloy"}, GA)
    assert error is not None
    hints = missing_type_hint({"voice": "alloy"}, error, GA)
    assert hints[0].startswith('GA sessions need "type": "realtime"')
    assert "Unknown parameter: 'session.voice'." in hints[1]
    assert missing_type_hint({"voice": "alloy"}, error, BETA) == []


def test_hints_for_has_no_duplicates_and_orders_dialect_first() -> None:
    event = {"type": "session.update", "session": {"voice": "alloy"}}
    error = validate_client_event(event, GA)
    assert error is not None
    hints = hints_for(event, error, GA)
    assert len(hints) == len(set(hints))
    assert "valid in the beta dialect" in hints[0]
