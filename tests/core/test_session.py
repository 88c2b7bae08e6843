"""The wire edge (malformed input never raises) and the view (cheap, cached, complete)."""

from __future__ import annotations

import json

import pytest

from tests.core.harness import Harness, notices, response_starts, sends, user_turn
from voicechat.core import (
    MicAudio,
    Notice,
    PlaybackDrained,
    PlaybackStarted,
    Send,
    Session,
    SessionPolicy,
)
from voicechat.protocol.dialect import Dialect


@pytest.mark.parametrize(
    "frame",
    [b"\xff\xfe not utf8", "not json", "[1, 2]", "42", "{}", '{"type": 7}', '{"type": null}'],
)
def test_malformed_frames_become_notices(frame: str | bytes) -> None:
    h = Harness()
    h.start()
    out = h.wire(frame)
    assert len(notices(out, "warning")) == 1
    assert h.view.notices[-1] == Notice("warning", notices(out)[0])


def test_unknown_event_types_are_noted_once() -> None:
    h = Harness()
    h.start()
    assert notices(h.wire('{"type": "brand.new_event"}')) == [
        "ignored unknown server event type 'brand.new_event'"
    ]
    assert h.wire('{"type": "brand.new_event"}') == []


def test_known_events_without_meaning_for_the_session_are_silent() -> None:
    h = Harness()
    h.start()
    version = h.view.version
    assert h.wire('{"type": "response.output_audio.done", "item_id": "i"}') == []
    assert h.view.version == version


@pytest.mark.parametrize(
    "event",
    [
        {"type": "response.created", "response": "nope"},
        {"type": "response.done", "response": {"status": {"x": 1}, "output": ["bad", None]}},
        {"type": "conversation.item.added", "item": {"id": 5, "content": "x"}},
        {"type": "conversation.item.added", "item": {"id": "i", "content": [1, {"type": 2}]}},
        {"type": "response.output_audio_transcript.delta", "item_id": None, "delta": 3},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": "soon"},
        {"type": "error", "error": None},
        {"type": "session.updated", "session": {"audio": {"output": {"format": {"rate": -1}}}}},
        {"type": "output_audio_buffer.stopped"},
        {"type": "response.output_audio.delta", "item_id": "i", "delta": None},
    ],
)
def test_malformed_events_never_raise_even_in_strict_mode(event: dict[str, object]) -> None:
    h = Harness(strict=True)
    h.start()
    h.ev(event.pop("type"), **event)  # type: ignore[arg-type]
    h.advance(2.0)
    assert h.view.version > 0


def test_a_handler_bug_becomes_a_notice_outside_strict_mode(monkeypatch) -> None:
    session = Session(SessionPolicy())

    def broken(*_: object) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(session._handlers, "response.created", broken)
    out = session.receive({"type": "response.created"}, 0.0)
    assert notices(out, "warning") == ["skipped a malformed response.created: KeyError('boom')"]


@pytest.mark.parametrize("dialect", ["ga", "beta"])
@pytest.mark.parametrize("mode", ["vad", "ptt", "transcribe"])
def test_start_is_validated_for_every_mode_and_dialect(dialect: str, mode: str) -> None:
    from voicechat.protocol.validation import validate_client_event

    h = Harness(dialect=dialect, mode=mode, voice="marin", instructions="Be brief.")
    [event] = sends(h.start())
    assert validate_client_event(event, Dialect(dialect)) is None
    assert event["event_id"] == "vc_1"


def test_bad_session_overrides_are_an_error_and_nothing_is_sent() -> None:
    h = Harness(session_overrides={"audio": {"input": {"turn_detection": {"max_speech_ms": 5}}}})
    out = h.start()
    assert not [a for a in out if isinstance(a, Send)]
    assert notices(out, "error") == [
        "Unknown parameter: 'session.audio.input.turn_detection.max_speech_ms'. "
        "(param session.audio.input.turn_detection.max_speech_ms; session.update not sent)"
    ]


def test_beta_keys_in_ga_overrides_name_the_field() -> None:
    h = Harness(dialect="ga", session_overrides={"temperature": 0.7})
    assert notices(h.start(), "error") == [
        "Unknown parameter: 'session.temperature'. (param session.temperature; "
        "session.update not sent)"
    ]


def test_session_overrides_are_merged_and_rendered_for_beta() -> None:
    h = Harness(
        dialect="beta",
        session_overrides={"audio": {"input": {"turn_detection": {"silence_duration_ms": 700}}}},
    )
    [event] = sends(h.start())
    assert event["session"]["turn_detection"] == {
        "type": "server_vad",
        "create_response": True,
        "interrupt_response": False,
        "silence_duration_ms": 700,
    }


def test_view_is_cached_until_something_changes() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    first = h.view
    assert h.view is first
    h.ev("conversation.item.input_audio_transcription.delta", item_id="item_u1", delta="x")
    second = h.view
    assert second is not first and second.version > first.version
    assert second.vad_segments is first.vad_segments  # unchanged history keeps its tuple


def test_unchanged_entries_are_reused_between_views() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    before = h.view.entries
    h.ev("response.output_audio_transcript.delta", item_id="item_a1", delta="more")
    after = h.view.entries
    assert after[0] is before[0] and after[1] is not before[1]


def test_playback_spans_and_view_fields() -> None:
    h = Harness(transport="websocket", mode="ptt", ptt_style="release")
    h.start()
    h.do(PlaybackStarted("item_a1"))
    assert h.view.playing
    h.advance(1.0)
    h.do(PlaybackDrained())
    h.do(MicAudio(10))
    view = h.view
    assert [(s.item_id, s.started_at, s.ended_at) for s in view.playback_spans] == [
        ("item_a1", 0.0, 1.0)
    ]
    assert (view.mode, view.transport, view.dialect, view.ptt_style) == (
        "ptt",
        "websocket",
        "ga",
        "release",
    )
    assert not view.playing and not view.response_active


def test_policy_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        SessionPolicy(mode="auto")  # type: ignore[arg-type]


def test_handle_rejects_unknown_inputs() -> None:
    with pytest.raises(TypeError, match="does not understand"):
        Session(SessionPolicy()).handle("TalkPressed", 0.0)  # type: ignore[arg-type]


def test_beta_delta_mapping_fast_path_keeps_fields_and_input() -> None:
    from voicechat.protocol.mapping import server_event_to_canonical

    wire = {
        "type": "response.audio_transcript.delta",
        "item_id": "i",
        "delta": "x",
        "logprobs": [{"p": 1}],
    }
    snapshot = json.loads(json.dumps(wire))
    out = server_event_to_canonical(wire, Dialect.BETA)
    assert out == {**snapshot, "type": "response.output_audio_transcript.delta"}
    assert wire == snapshot and out is not wire
    assert server_event_to_canonical({"type": "x.y"}, Dialect.BETA) == {"type": "x.y"}


def test_without_a_validator_config_events_still_go_out_with_a_warning() -> None:
    session = Session(SessionPolicy())
    session._outbox._validator_loaded = True
    session._outbox._validator = None
    out = session.start(0.0)
    assert [type(a).__name__ for a in out] == ["Notice", "Send", "UnmuteMic"]
    assert "sent unvalidated" in out[0].message  # type: ignore[union-attr]


def test_control_events_are_rendered_for_beta_unchanged() -> None:
    h = Harness(dialect="beta", barge_in=True, transport="websocket")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.do(PlaybackStarted("item_a1"))
    out = h.do(__import__("voicechat.core", fromlist=["CancelRequested"]).CancelRequested())
    assert [(e["type"], e.get("response_id")) for e in sends(out)] == [
        ("response.cancel", "resp_1"),
        ("conversation.item.truncate", None),
    ]
