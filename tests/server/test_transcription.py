"""Input transcription events with plain calls: completed, failed, and an unserved model."""

from __future__ import annotations

from typing import Any

from voicechat.server import sessions
from voicechat.server.conversation import Conversation
from voicechat.server.transcription import TranscriptionEvents


def make(transcription: Any) -> tuple[TranscriptionEvents, Conversation, list[dict[str, Any]]]:
    out: list[dict[str, Any]] = []
    state = sessions.SessionState(sessions.default_session("m"))
    state.apply({"audio": {"input": {"transcription": transcription}}})
    conv = Conversation(out.append)
    conv.add_user_audio("u")
    out.clear()
    return TranscriptionEvents(state, conv, out.append), conv, out


def test_recognised_sends_delta_and_completed_and_fills_the_item() -> None:
    events, conv, out = make({"model": "whisper-1"})
    assert events.recognised("u", "hello", 1.23456) == "hello"
    assert [e["type"] for e in out] == [
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
    ]
    assert out[1]["transcript"] == "hello"
    assert out[1]["usage"] == {"type": "duration", "seconds": 1.235}  # whisper-1: by the second
    assert len(out[0]["delta"] + out[0]["obfuscation"]) == 16
    assert conv.items[0]["content"][0]["transcript"] == "hello"


def test_gpt_4o_transcribe_models_bill_by_tokens() -> None:
    for model in ("gpt-4o-transcribe", "gpt-4o-mini-transcribe"):
        events, _, out = make({"model": model})
        events.recognised("u", "Hello from the gateway probe.", 1.63)
        # the shape of a real GA gpt-4o-mini-transcribe completion (16 audio tokens for 1.63 s)
        assert out[-1]["usage"] == {
            "type": "tokens",
            "total_tokens": 24,
            "input_tokens": 16,
            "input_token_details": {"text_tokens": 0, "audio_tokens": 16},
            "output_tokens": 8,
        }


def test_empty_result_sends_only_completed() -> None:
    events, _, out = make({"model": "gpt-4o-transcribe"})
    events.recognised("u", "", 0.5)
    assert [e["type"] for e in out] == ["conversation.item.input_audio_transcription.completed"]


def test_transcription_off_fills_the_item_silently() -> None:
    events, conv, out = make(None)
    assert events.recognised("u", "hello", 1.0) == "hello"
    events.failed("u")
    assert out == [] and conv.items[0]["content"][0]["transcript"] == "hello"


def test_unserved_model_fails_but_the_model_still_hears() -> None:
    events, conv, out = make({"model": "my-deployment"})
    assert events.recognised("u", "hello", 1.0) == "hello"
    assert [e["type"] for e in out] == ["conversation.item.input_audio_transcription.failed"]
    assert out[0]["error"]["type"] and out[0]["item_id"] == "u"
    assert conv.items[0]["content"][0]["transcript"] is None
    assert conv.text_of(conv.items[0]) == "hello"


def test_a_broken_recogniser_reports_the_item_failed() -> None:
    events, conv, out = make({"model": "whisper-1"})
    assert events.recogniser_failed("u", RuntimeError("boom")) == ""
    assert [e["type"] for e in out] == ["conversation.item.input_audio_transcription.failed"]
    assert conv.text_of(conv.items[0]) == ""
