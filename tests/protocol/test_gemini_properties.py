"""Property tests of the Gemini Live parsers: nothing from the wire raises, every refusal fits
a close frame, and what the builders write reads back the same."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from voicechat.protocol.gemini import (
    client_messages,
    errors,
    events,
    names,
    server_messages,
    spelling,
)
from voicechat.protocol.gemini.audio import format_duration, parse_duration, parse_pcm_mime
from voicechat.protocol.gemini.validation import decode_audio, validate_client_message

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from([*names.CLIENT_MESSAGES, *names.SERVER_MESSAGES, "media_chunks",
                         "audio", "data", "mimeType", "text", "turns", "parts", "id", "name",
                         "functionResponses", "serverContent", "modelTurn", "x"])
        | st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@given(_json, st.booleans())
def test_validation_never_raises_and_refusals_fit_a_close_frame(frame: Any,
                                                                setup_done: bool) -> None:
    refusal = validate_client_message(frame, setup_done=setup_done)
    if refusal is not None:
        assert refusal.code in (1007, 1008)
        assert len(refusal.close_reason.encode("utf-8")) <= names.MAX_CLOSE_REASON_BYTES


@given(_json)
def test_decoding_never_raises(frame: Any) -> None:
    for event in events.decode_server_frame(json.dumps(frame)):
        assert event is not None


@given(st.binary(max_size=64).map(lambda b: b[: len(b) // 2 * 2]),
       st.integers(min_value=names.MIN_RATE, max_value=names.MAX_RATE))
def test_audio_written_by_the_builder_decodes_to_the_same_bytes(pcm: bytes, rate: int) -> None:
    frame = client_messages.audio(base64.b64encode(pcm).decode(), rate)
    assert validate_client_message(frame) is None
    data, fmt = decode_audio(frame[names.REALTIME_INPUT][names.AUDIO])
    assert data == pcm and fmt.rate == rate


@given(st.binary(max_size=64), st.text(max_size=20), st.booleans())
def test_server_frames_read_back(pcm: bytes, text: str, finished: bool) -> None:
    data = base64.b64encode(pcm).decode()
    assert events.decode_server_frame(server_messages.model_audio(data)) == [
        events.ModelAudio(data, names.OUTPUT_RATE)]
    assert events.decode_server_frame(server_messages.output_transcription(
        text, finished=finished)) == [events.OutputTranscript(text, finished)]


@given(st.from_regex(r"[a-z]+([A-Z][a-z0-9]+){0,4}", fullmatch=True))
def test_camel_and_snake_spellings_round_trip(name: str) -> None:
    assert spelling.camel(spelling.snake(name)) == name


@given(st.integers(min_value=0, max_value=10**7).map(lambda ms: ms / 1000))
def test_durations_round_trip(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.text(max_size=40) | st.text(max_size=8).map(lambda rate: f"audio/pcm;rate={rate}"))
@example("audio/pcm;rate=²")  # str.isdigit() says yes, int() says no
@example("audio/pcm;rate=٢٤٠٠٠")  # decimal digits of another script: int() reads them
def test_a_mime_parses_or_is_refused_never_raises(mime: str) -> None:
    fmt = parse_pcm_mime(mime)
    if fmt is not None:
        assert names.MIN_RATE <= fmt.rate <= names.MAX_RATE


@given(st.text(max_size=400))
def test_any_reason_is_clipped_to_whole_characters(text: str) -> None:
    clipped = errors.clip_reason(text)
    assert len(clipped.encode("utf-8")) <= names.MAX_CLOSE_REASON_BYTES
    assert clipped == text or clipped.endswith("...")
