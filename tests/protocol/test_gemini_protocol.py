"""Gemini Live names, validation, builders and decoding, against the official SDK's types
(google-genai 3.3.0).

The protocol package must not import ``google.genai`` (a test dependency: the wire is plain
JSON), so its field lists are hand kept; these tests keep them equal to the SDK's models, check
every builder's frame against the SDK's pydantic types with no undeclared keys, and check the
validator's verdicts and close codes on the documented mistakes.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from google.genai import types
from pydantic import BaseModel

from tests.server.sdk_models import _undeclared
from voicechat.protocol.gemini import (
    client_messages,
    close_codes,
    errors,
    events,
    names,
    server_messages,
    spelling,
)
from voicechat.protocol.gemini.audio import format_duration, parse_duration, parse_pcm_mime
from voicechat.protocol.gemini.validation import (
    audio_notes,
    decode_audio,
    validate_client_message,
)


def _fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def _pcm_b64(samples: int = 160) -> str:
    return base64.b64encode(bytes(2 * samples)).decode()


# --- names against the SDK --------------------------------------------------------------------

def test_message_names_are_the_sdk_models_fields() -> None:
    assert set(names.CLIENT_MESSAGES) == _fields(types.LiveClientMessage)
    assert set(names.SERVER_MESSAGES) == _fields(types.LiveServerMessage)
    assert set(names.REALTIME_INPUT_FIELDS) == _fields(types.LiveClientRealtimeInput)


def test_setup_fields_are_the_sdk_models_plus_the_realtime_input_config() -> None:
    """``realtimeInputConfig`` rides on the wire's setup (the SDK's converter moves it there
    from ``LiveConnectConfig``), though ``LiveClientSetup`` does not type it."""
    assert set(names.SETUP_FIELDS) == _fields(types.LiveClientSetup) | {"realtimeInputConfig"}


def test_server_content_pieces_are_the_sdk_models_fields() -> None:
    pieces = {names.MODEL_TURN, names.INPUT_TRANSCRIPTION, names.OUTPUT_TRANSCRIPTION,
              names.GENERATION_COMPLETE, names.TURN_COMPLETE, names.INTERRUPTED}
    assert pieces <= _fields(types.LiveServerContent)


# --- builders: valid by our validator and by the SDK ------------------------------------------

CLIENT_FRAMES = [
    client_messages.audio(_pcm_b64()),
    client_messages.audio_stream_end(),
    client_messages.activity_start(),
    client_messages.activity_end(),
    client_messages.realtime_text("hello"),
    client_messages.user_turn("hello"),
    client_messages.history([("user", "hi"), ("model", "hello")]),
    client_messages.tool_response([("function-call-1", "get_time", {"time": "noon"})]),
]


@pytest.mark.parametrize("frame", CLIENT_FRAMES, ids=lambda f: str(next(iter(f.values()))))
def test_client_builders_are_valid_and_typed_by_the_sdk(frame: dict[str, Any]) -> None:
    assert validate_client_message(frame) is None
    model = types.LiveClientMessage.model_validate(frame)
    found: list[str] = []
    _undeclared(model, frame, "", found)
    assert found == []


def test_setup_builder_is_valid_first_and_typed_by_the_sdk() -> None:
    frame = client_messages.setup(voice="Kore", instructions="Be brief.", resume_handle="h1",
                                  tools=[{"name": "get_time", "parameters": {"type": "object"}}],
                                  compression=True)
    assert validate_client_message(frame, setup_done=False) is None
    assert frame["setup"]["contextWindowCompression"] == {"slidingWindow": {}}
    setup = dict(frame["setup"])
    setup.pop("realtimeInputConfig", None)
    model = types.LiveClientSetup.model_validate(setup)
    found: list[str] = []
    _undeclared(model, setup, "", found)
    assert found == []


SERVER_FRAMES = [
    server_messages.setup_complete(),
    server_messages.model_audio(_pcm_b64()),
    server_messages.model_text("Hi"),
    server_messages.input_transcription("Hel"),
    server_messages.output_transcription("lo", finished=True),
    server_messages.generation_complete(),
    server_messages.turn_complete(server_messages.usage(
        10, 20, prompt_details=[("TEXT", 10)], response_details=[("AUDIO", 20)])),
    server_messages.interrupted(),
    server_messages.tool_call([("function-call-1", "get_time", {"zone": "UTC"})]),
    server_messages.tool_call_cancellation(["function-call-1"]),
    server_messages.go_away(9.5),
    server_messages.resumption_update("handle-1"),
    {names.USAGE_METADATA: server_messages.usage(1, 2)},
]


@pytest.mark.parametrize("frame", SERVER_FRAMES, ids=lambda f: "+".join(f))
def test_server_builders_are_typed_by_the_sdk(frame: dict[str, Any]) -> None:
    model = types.LiveServerMessage.model_validate(frame)
    found: list[str] = []
    _undeclared(model, frame, "", found)
    assert found == []


# --- validation -------------------------------------------------------------------------------

def test_the_first_message_must_be_setup() -> None:
    refusal = validate_client_message(client_messages.user_turn("hi"), setup_done=False)
    assert refusal is not None and refusal.code == close_codes.INVALID_PAYLOAD
    assert "first message must be 'setup'" in refusal.reason


def test_a_second_setup_is_refused() -> None:
    refusal = validate_client_message(client_messages.setup(), setup_done=True)
    assert refusal is not None and refusal.code == 1007 and refusal.param == "setup"


def test_media_chunks_close_1007_with_googles_reason() -> None:
    legacy = {"realtime_input": {"media_chunks": [{"mime_type": "audio/pcm",
                                                   "data": _pcm_b64()}]}}
    refusal = validate_client_message(legacy)
    assert refusal == errors.media_chunks()
    assert refusal.code == 1007
    assert refusal.reason == ("realtime_input.media_chunks is deprecated. Use audio, video, or "
                              "text instead.")


@pytest.mark.parametrize("mime", ["audio/wav", "audio/pcm;rate=16", "audio/pcm;rate=abc",
                                  "audio/pcm;rate=192000", "audio/pcm;bits=8", 16000])
def test_a_wrong_audio_mime_or_rate_is_refused(mime: Any) -> None:
    frame = {"realtimeInput": {"audio": {"data": _pcm_b64(), "mimeType": mime}}}
    refusal = validate_client_message(frame)
    assert refusal is not None and refusal.code == 1007
    assert refusal.param is not None and refusal.param.endswith("mimeType")


def test_another_usable_rate_is_accepted_with_a_note_for_the_doctor() -> None:
    blob = {"data": _pcm_b64(), "mimeType": "audio/pcm;rate=24000"}
    assert validate_client_message({"realtimeInput": {"audio": blob}}) is None
    assert "24000 Hz" in audio_notes(blob)[0]
    assert audio_notes({"data": "", "mimeType": names.INPUT_MIME}) == []
    assert "states no rate" in audio_notes({"data": "", "mimeType": "audio/pcm"})[0]


def test_audio_must_be_base64_whole_samples() -> None:
    odd = {"data": base64.b64encode(b"\x00").decode(), "mimeType": names.INPUT_MIME}
    assert isinstance(decode_audio(odd), errors.Refusal)
    assert isinstance(decode_audio({"data": "not base64!", "mimeType": names.INPUT_MIME}),
                      errors.Refusal)
    data, fmt = decode_audio({"data": _pcm_b64(3), "mime_type": "audio/pcm; RATE=16000"})
    assert data == bytes(6) and fmt.rate == 16000


def test_snake_case_spelling_is_read_as_the_sdk_sends_it() -> None:
    assert validate_client_message({"realtime_input": {"audio_stream_end": True}}) is None
    assert validate_client_message({"tool_response": {"function_responses": [
        {"id": "a", "name": "f", "response": {"any_key": 1}}]}}) is None
    twice = {"realtimeInput": {"audioStreamEnd": True, "audio_stream_end": True}}
    assert validate_client_message(twice) is not None


@pytest.mark.parametrize(("frame", "words"), [
    ({}, "send one of"),
    ({"setup": {"model": "m"}, "realtimeInput": {}}, "one message per frame"),
    ({"bogus": {}}, 'Unknown name "bogus"'),
    ({"realtimeInput": {"audio": {"data": "", "mimeType": names.INPUT_MIME},
                        "text": "hi"}}, "got audio, text"),
    ({"realtimeInput": {"foo": 1}}, "Unknown name \"foo\" at 'realtime_input'"),
    ({"toolResponse": {"functionResponses": [{"id": "a", "response": {}}]}}, ".name'"),
    ({"toolResponse": {"functionResponses": [{"name": "f"}]}}, ".id'"),
    ({"clientContent": {"turns": [{"role": "system", "parts": []}]}}, "role"),
    ({"realtimeInput": {"text": 3}}, "expected a string"),
    ([1, 2], "Expected an object"),
])
def test_malformed_messages_close_1007_saying_what_is_wrong(frame: Any, words: str) -> None:
    refusal = validate_client_message(frame)
    assert refusal is not None and refusal.code == 1007
    assert words in refusal.reason


def test_setup_needs_a_model_and_one_modality() -> None:
    assert "setup.model" in validate_client_message({"setup": {}}, setup_done=False).reason
    both = {"setup": {"model": "m", "generationConfig": {"responseModalities": ["AUDIO",
                                                                                "TEXT"]}}}
    assert validate_client_message(both, setup_done=False).code == 1007
    unknown = {"setup": {"model": "m", "speech_config": {}}}
    assert "speech_config" in validate_client_message(unknown, setup_done=False).reason


# --- close codes and refusals -----------------------------------------------------------------

@pytest.mark.parametrize("code", [1007, 1008, 1011])
def test_each_gemini_close_code_has_a_meaning_and_a_fix(code: int) -> None:
    entry = close_codes.describe(code)
    assert entry.code == code and entry.meaning and entry.fix


def test_an_unknown_close_code_is_described_too() -> None:
    assert "4000" in close_codes.describe(4000).meaning
    assert close_codes.describe(None).retryable


def test_the_deadline_is_a_1011_to_resume_from() -> None:
    refusal = errors.deadline_expired()
    assert refusal.code == 1011 and close_codes.is_deadline(refusal.code, refusal.reason)
    assert not close_codes.is_deadline(1011, "Internal error")


def test_every_reason_fits_a_close_frame() -> None:
    long = errors.unknown_name("x" * 300, "setup")
    assert len(long.close_reason.encode()) <= names.MAX_CLOSE_REASON_BYTES
    assert long.close_reason.endswith("...")
    assert errors.clip_reason("é" * 100).encode("utf-8").decode("utf-8")


# --- audio and durations ----------------------------------------------------------------------

def test_pcm_mime_and_durations() -> None:
    assert parse_pcm_mime("audio/pcm;rate=24000").rate == 24000
    assert parse_pcm_mime("audio/pcm").stated is False
    assert parse_pcm_mime("audio/opus") is None
    assert format_duration(9.5) == "9.5s" and format_duration(10) == "10s"
    assert parse_duration("0.25s") == 0.25 and parse_duration("10") is None


def test_spelling_converts_both_ways() -> None:
    assert spelling.snake("lastConsumedClientMessageIndex") == (
        "last_consumed_client_message_index")
    assert spelling.camel("realtime_input") == "realtimeInput"
    assert spelling.get({"turn_complete": True}, "turnComplete") is True


# --- decoding server frames -------------------------------------------------------------------

def test_a_model_turn_decodes_in_the_order_a_client_acts_on_it() -> None:
    frame = {"serverContent": {
        "modelTurn": {"parts": [{"inlineData": {"mimeType": names.OUTPUT_MIME,
                                                "data": _pcm_b64(240)}}]},
        "outputTranscription": {"text": "Hi"},
        "turnComplete": True, "generationComplete": True},
        "usageMetadata": {"promptTokenCount": 3, "responseTokenCount": 4}}
    decoded = events.decode_server_frame(frame)
    assert [type(e).__name__ for e in decoded] == [
        "ModelAudio", "OutputTranscript", "GenerationComplete", "TurnComplete", "Usage"]
    assert decoded[0].byte_count == 480 and decoded[0].rate == 24000
    assert decoded[4].prompt_tokens == 3


def test_tool_calls_resumption_and_go_away_decode_typed() -> None:
    assert events.decode_server_frame(server_messages.tool_call(
        [("c1", "f", {"a": 1})])) == [events.ToolCall((events.FunctionCall("c1", "f",
                                                                          {"a": 1}),))]
    assert events.decode_server_frame(server_messages.go_away(5)) == [events.GoAway(5.0, "5s")]
    assert events.decode_server_frame(
        {"session_resumption_update": {"new_handle": "h", "resumable": True}}) == [
        events.ResumptionUpdate("h", True)]
    assert events.decode_server_frame(server_messages.tool_call_cancellation(["c1"])) == [
        events.ToolCallCancellation(("c1",))]


def test_what_cannot_be_read_is_reported_not_raised() -> None:
    assert isinstance(events.decode_server_frame("{nope")[0], events.Malformed)
    assert isinstance(events.decode_server_frame(b"[]")[0], events.Malformed)
    assert events.decode_server_frame({"newThing": 1}) == [events.Unknown("newThing", 1)]
    bad = events.decode_server_frame({"toolCall": {"functionCalls": [{"name": "f"}]}})
    assert isinstance(bad[0], events.Malformed)


# --- telling the family -----------------------------------------------------------------------

def test_a_gemini_frame_is_told_from_realtime_and_gpt_live_events() -> None:
    from voicechat.protocol.gemini.family import is_gemini_frame, side_of

    assert side_of(client_messages.setup()) == "client"
    assert side_of({"realtime_input": {"audio_stream_end": True}}) == "client"
    assert side_of(server_messages.turn_complete(server_messages.usage(1, 1))) == "server"
    assert not is_gemini_frame({"type": "session.update", "session": {}})
    assert not is_gemini_frame({"setup": {}, "serverContent": {}})
    assert not is_gemini_frame({})
