"""Response gating: one active response, creates only after real input, cancels only on request."""

from __future__ import annotations

import pytest

from tests.core.harness import (
    Harness,
    notices,
    response_done,
    response_starts,
    sends,
    sent_types,
    user_turn,
)
from voicechat.core import CancelRequested, MicAudio, PlaybackProgress, SendText, TalkPressed


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_seed_no_response_create_on_an_empty_transcript(text: str) -> None:
    h = Harness()
    h.start()
    out = h.do(SendText(text))
    assert sent_types(out) == []
    assert notices(out, "warning") == ["nothing to send: the message is empty"]
    assert not h.session.response_active


def test_seed_no_response_create_for_push_to_talk_without_audio() -> None:
    h = Harness(mode="ptt")
    h.start()
    h.do(TalkPressed())
    out = h.do(TalkPressed())
    assert "response.create" not in sent_types(out)
    assert sent_types(out) == ["input_audio_buffer.clear"]


def test_typed_text_creates_an_item_then_a_response() -> None:
    h = Harness()
    h.start()
    out = h.do(SendText("hello there"))
    events = sends(out)
    assert [e["type"] for e in events] == ["conversation.item.create", "response.create"]
    assert events[0]["item"] == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hello there"}],
    }
    assert h.view.response.status == "requested" and h.view.response.origin == "client"
    assert h.session.response_active


def test_second_create_is_queued_until_response_done_and_sent_once() -> None:
    h = Harness()
    h.start()
    h.do(SendText("one"))
    out = h.do(SendText("two"))
    assert sent_types(out) == ["conversation.item.create"]
    assert "response queued" in notices(out, "info")[0]
    assert h.view.response_queued
    out = h.do(SendText("three"))
    assert sent_types(out) == ["conversation.item.create"]
    assert notices(out) == ["a response is already queued"]
    before = len(h.actions)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    assert sent_types(h.actions[before:]) == []
    out = response_done(h, "resp_1", "item_a1", "ok")
    assert sent_types(out) == ["response.create"]
    assert not h.view.response_queued


def test_server_vad_response_blocks_a_typed_create() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    assert h.view.response.origin == "server"
    out = h.do(SendText("and also"))
    assert sent_types(out) == ["conversation.item.create"]
    assert sent_types(response_done(h, "resp_1", "item_a1", "hi")) == ["response.create"]


def test_rejected_create_is_requeued_not_lost() -> None:
    h = Harness()
    h.start()
    h.do(SendText("hi"))
    out = h.ev(
        "error",
        error={
            "type": "invalid_request_error",
            "code": "conversation_already_has_active_response",
            "message": "Conversation already has an active response in progress: resp_9. "
            "Wait until the response is finished before creating a new one.",
            "param": None,
            "event_id": "vc_3",
        },
    )
    assert notices(out, "warning")
    assert h.view.response.id == "resp_9" and h.view.response_queued
    out = h.ev("response.done", response={"id": "resp_9", "status": "completed", "output": []})
    assert sent_types(out) == ["response.create"]


def test_beta_busy_refusal_without_a_code_is_requeued_too() -> None:
    """The older beta service refused with ``code: null`` and the message alone (as the local
    server's beta dialect does): the create is queued, not reported as a failure."""
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    h.do(SendText("hi"))
    busy = {"type": "invalid_request_error", "code": None, "param": None,
            "message": "Conversation already has an active response", "event_id": "vc_3"}
    out = h.ev("error", error=busy)
    assert notices(out, "warning") and not notices(out, "error")
    assert h.view.response_queued
    assert sent_types(response_done(h, "resp_1", "item_a1", "ok")) == ["response.create"]


def test_an_other_coded_null_error_is_still_an_error() -> None:
    h = Harness()
    h.start()
    out = h.ev("error", error={"type": "invalid_request_error", "code": None,
                               "message": "Conversation has no such item", "param": None})
    assert notices(out, "error") and not h.view.response_queued


def test_seed_no_client_cancel_through_ordinary_turns() -> None:
    """Normal turns, a server-side cancel and speech during playback (barge-in off) never make
    the client send ``response.cancel``."""
    h = Harness()
    h.start()
    for n in range(3):
        user_turn(h, f"item_u{n}", f"item_a{n - 1}" if n else None)
        response_starts(h, f"resp_{n}", f"item_a{n}", f"item_u{n}")
        h.ev("output_audio_buffer.started", response_id=f"resp_{n}")
        h.ev("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="item_x")
        h.do(MicAudio(2000))
        h.ev("input_audio_buffer.speech_stopped", audio_end_ms=8000, item_id="item_x")
        status = "cancelled" if n == 1 else "completed"
        response_done(h, f"resp_{n}", f"item_a{n}", "ok", status, "turn_detected")
        h.ev("output_audio_buffer.stopped", response_id=f"resp_{n}")
        h.advance(1.0)
    assert "response.cancel" not in sent_types(h.actions)
    assert "conversation.item.truncate" not in sent_types(h.actions)
    assert h.view.response.status == "completed"


def test_server_cancel_is_shown_with_its_reason() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    response_done(h, "resp_1", "item_a1", "par", "cancelled", "turn_detected")
    assert (h.view.response.status, h.view.response.reason) == ("cancelled", "turn_detected")
    assert h.view.entries[-1].status == "incomplete"


def test_failed_response_is_an_error_notice() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    out = h.ev(
        "response.done",
        response={
            "id": "resp_1",
            "status": "failed",
            "status_details": {
                "type": "failed",
                "error": {"type": "server_error", "message": "upstream overloaded"},
            },
        },
    )
    assert notices(out, "error") == ["response failed: upstream overloaded"]
    assert h.view.response.status == "failed"


def test_cancel_key_cancels_the_active_response_once() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.do(PlaybackProgress("item_a1", 700))
    out = h.do(CancelRequested())
    events = sends(out)
    assert [e["type"] for e in events] == [
        "response.cancel",
        "output_audio_buffer.clear",
        "conversation.item.truncate",
    ]
    assert events[0]["response_id"] == "resp_1"
    assert events[2]["audio_end_ms"] == 700
    assert "response.cancel" not in sent_types(h.do(CancelRequested()))


def test_cancel_with_nothing_active_sends_nothing() -> None:
    h = Harness()
    h.start()
    out = h.do(CancelRequested())
    assert sent_types(out) == [] and notices(out) == ["nothing to cancel"]


def test_cancel_after_generation_finished_only_stops_playback() -> None:
    h = Harness(transport="websocket")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    from voicechat.core import PlaybackStarted

    h.do(PlaybackStarted("item_a1"))
    response_done(h, "resp_1", "item_a1", "done already")
    out = h.do(CancelRequested())
    assert "response.cancel" not in sent_types(out)
    assert sent_types(out) == ["conversation.item.truncate"]


def test_cancel_before_response_created_is_sent_when_it_starts() -> None:
    h = Harness()
    h.start()
    h.do(SendText("hi"))
    assert "response.cancel" not in sent_types(h.do(CancelRequested()))
    h.ev("response.created", response={"id": "resp_7", "status": "in_progress"})
    cancel = [e for e in sends(h.actions) if e["type"] == "response.cancel"]
    assert [e["response_id"] for e in cancel] == ["resp_7"]


def test_cancel_not_active_error_is_benign() -> None:
    h = Harness()
    h.start()
    out = h.ev(
        "error",
        error={
            "type": "invalid_request_error",
            "code": "response_cancel_not_active",
            "message": "Cancellation failed: no active response found",
        },
    )
    assert notices(out, "error") == [] and notices(out, "info")


def test_other_server_errors_are_error_notices_naming_the_param() -> None:
    h = Harness()
    h.start()
    out = h.ev(
        "error",
        error={
            "type": "invalid_request_error",
            "code": "unknown_parameter",
            "message": "Unknown parameter: 'session.foo'.",
            "param": "session.foo",
        },
    )
    assert notices(out, "error") == [
        "server error: Unknown parameter: 'session.foo'. (param session.foo)"
    ]


def test_repeated_or_stale_response_done_changes_nothing() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    response_done(h, "resp_1", "item_a1", "ok")
    h.do(SendText("next"))
    assert h.view.response.status == "requested"
    out = h.ev("response.done", response={"id": "resp_1", "status": "completed"})
    assert h.session.response_active and h.view.response.status == "requested"
    h.do(SendText("and more"))  # still gated: our request is in flight
    assert sent_types(h.actions).count("response.create") == 1
    assert out == []


def test_malformed_response_lifecycle_events_do_not_unlock_creates() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    assert notices(h.ev("response.created", response=True), "warning")
    assert notices(h.ev("response.done"), "warning")
    out = h.do(SendText("hello"))
    assert sent_types(out) == ["conversation.item.create"]
    assert h.view.response.id == "resp_1"
