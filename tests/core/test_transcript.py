"""Transcript: conversation order by previous_item_id, late transcripts, placeholders, marks."""

from __future__ import annotations

import json

from tests.core.harness import (
    Harness,
    assistant_item,
    response_done,
    response_starts,
    user_audio_item,
    user_turn,
)
from voicechat.core import MicAudio, PlaybackProgress


def rows(h: Harness) -> list[tuple[str, str, str, str]]:
    return [(e.id, e.role, e.text, e.status) for e in h.view.entries]


def test_late_user_transcript_slots_into_place() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    assert rows(h) == [("item_u1", "user", "", "pending")]
    response_starts(h, "resp_1", "item_a1", "item_u1")
    h.ev(
        "response.output_audio_transcript.delta",
        response_id="resp_1",
        item_id="item_a1",
        delta="Hi ",
    )
    h.ev(
        "response.output_audio_transcript.delta",
        response_id="resp_1",
        item_id="item_a1",
        delta="there.",
    )
    assert rows(h)[-1] == ("item_a1", "assistant", "Hi there.", "streaming")
    h.ev("conversation.item.input_audio_transcription.delta", item_id="item_u1", delta="hel")
    assert rows(h)[0] == ("item_u1", "user", "hel", "streaming")
    h.ev(
        "conversation.item.input_audio_transcription.completed",
        item_id="item_u1",
        content_index=0,
        transcript="hello",
    )
    response_done(h, "resp_1", "item_a1", "Hi there.")
    assert rows(h) == [
        ("item_u1", "user", "hello", "done"),
        ("item_a1", "assistant", "Hi there.", "done"),
    ]
    assert h.view.entries[1].response_id == "resp_1"


def test_failed_transcription_is_a_placeholder_with_the_error() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    h.ev(
        "conversation.item.input_audio_transcription.failed",
        item_id="item_u1",
        content_index=0,
        error={
            "type": "server_error",
            "code": None,
            "message": "Input transcription failed for item 'item_u1'.",
        },
    )
    [entry] = h.view.entries
    assert (
        entry.status == "failed" and entry.error == "Input transcription failed for item 'item_u1'."
    )


def test_without_transcription_user_audio_is_marked_untranscribed() -> None:
    h = Harness(transcription_model=None)
    h.start()
    user_turn(h, "item_u1", None)
    assert rows(h) == [("item_u1", "user", "", "untranscribed")]


def test_items_arriving_out_of_order_are_placed_by_previous_item_id() -> None:
    h = Harness()
    h.start()
    h.ev("conversation.item.added", previous_item_id="item_b", item=assistant_item("item_c"))
    h.ev("conversation.item.added", previous_item_id="item_a", item=user_audio_item("item_b"))
    h.ev("conversation.item.added", previous_item_id=None, item=user_audio_item("item_a", "x"))
    assert [e.id for e in h.view.entries] == ["item_a", "item_b", "item_c"]
    h.ev("conversation.item.added", previous_item_id="item_a", item=user_audio_item("item_z"))
    assert [e.id for e in h.view.entries] == ["item_a", "item_z", "item_b", "item_c"]
    h.ev("conversation.item.added", previous_item_id="root", item=user_audio_item("item_0"))
    assert h.view.entries[0].id == "item_0"


def test_deltas_for_an_unknown_item_then_its_position() -> None:
    """Azure's WebRTC filter drops output_item.added: text comes first, the position later."""
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    h.ev("response.output_audio_transcript.delta", item_id="item_a0", delta="early")
    h.ev("conversation.item.added", previous_item_id=None, item=user_audio_item("item_u0", "a"))
    h.ev("conversation.item.added", previous_item_id="item_u0", item=assistant_item("item_a0"))
    h.ev("conversation.item.added", previous_item_id="item_a0", item=user_audio_item("item_u1"))
    assert [(e.id, e.text) for e in h.view.entries] == [
        ("item_u0", "a"),
        ("item_a0", "early"),
        ("item_u1", ""),
    ]


def test_typed_user_text_item() -> None:
    h = Harness()
    h.start()
    h.ev(
        "conversation.item.added",
        previous_item_id=None,
        item={
            "id": "item_t",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "typed"}],
        },
    )
    assert rows(h) == [("item_t", "user", "typed", "done")]


def test_text_only_output() -> None:
    h = Harness()
    h.start()
    h.ev("response.created", response={"id": "resp_1"})
    h.ev("response.output_text.delta", item_id="item_a", delta="ab")
    h.ev("response.output_text.delta", item_id="item_a", delta="cd")
    assert rows(h) == [("item_a", "assistant", "abcd", "streaming")]
    h.ev("response.output_text.done", item_id="item_a", text="abcd!")
    assert rows(h)[0][2] == "abcd!"


def test_truncated_assistant_text_is_marked() -> None:
    h = Harness(barge_in=True)
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(1.0)
    h.do(PlaybackProgress("item_a1", 1000))
    h.ev("input_audio_buffer.speech_started", audio_start_ms=0, item_id="item_u2")
    h.do(MicAudio(600))
    assert h.view.entries[0].truncated
    # the server's own truncation mark also works (e.g. WebRTC auto-truncate)
    h2 = Harness()
    h2.start()
    response_starts(h2, "resp_1", "item_a1", None)
    h2.ev("conversation.item.truncated", item_id="item_a1", content_index=0, audio_end_ms=10)
    assert h2.view.entries[0].truncated


def test_deleted_items_disappear() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    h.ev("conversation.item.deleted", item_id="item_u1")
    assert h.view.entries == ()


def test_function_call_items_are_shown_as_tool_entries() -> None:
    h = Harness()
    h.start()
    h.ev(
        "response.output_item.done",
        response_id="r",
        item={
            "id": "item_f",
            "type": "function_call",
            "status": "completed",
            "name": "weather",
            "arguments": '{"city":"Oslo"}',
            "call_id": "c1",
        },
    )
    assert rows(h) == [("item_f", "tool", 'weather({"city":"Oslo"})', "done")]


def test_beta_wire_turn_reads_the_same() -> None:
    """A beta stream (conversation.item.created, response.audio_transcript.*) maps to GA."""
    h = Harness(dialect="beta")
    h.start()
    frames = [
        {"type": "input_audio_buffer.committed", "previous_item_id": None, "item_id": "item_u1"},
        {
            "type": "conversation.item.created",
            "previous_item_id": None,
            "item": {
                "id": "item_u1",
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "transcript": None}],
            },
        },
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        {
            "type": "conversation.item.created",
            "previous_item_id": "item_u1",
            "item": {
                "id": "item_a1",
                "type": "message",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            },
        },
        {"type": "response.audio_transcript.delta", "item_id": "item_a1", "delta": "Hel"},
        {"type": "response.audio_transcript.delta", "item_id": "item_a1", "delta": "lo"},
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "item_u1",
            "transcript": "hi",
        },
        {
            "type": "response.done",
            "response": {
                "id": "resp_1",
                "status": "completed",
                "output": [
                    {
                        "id": "item_a1",
                        "type": "message",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "audio", "transcript": "Hello"}],
                    }
                ],
            },
        },
    ]
    for frame in frames:
        h.wire(json.dumps(frame))
    assert rows(h) == [("item_u1", "user", "hi", "done"), ("item_a1", "assistant", "Hello", "done")]
    assert h.view.response.status == "completed"


def test_transcription_mode_captions() -> None:
    h = Harness(mode="transcribe")
    [update] = [a.event for a in h.start() if hasattr(a, "event")]
    assert update["session"]["type"] == "transcription"
    for n in range(2):
        h.ev("input_audio_buffer.speech_started", audio_start_ms=n * 2000, item_id=f"item_{n}")
        h.ev("input_audio_buffer.speech_stopped", audio_end_ms=n * 2000 + 900, item_id=f"item_{n}")
        h.ev(
            "input_audio_buffer.committed",
            previous_item_id=f"item_{n - 1}" if n else None,
            item_id=f"item_{n}",
        )
        h.ev(
            "conversation.item.input_audio_transcription.delta",
            item_id=f"item_{n}",
            delta=f"caption {n}",
        )
    h.ev(
        "conversation.item.input_audio_transcription.completed",
        item_id="item_0",
        transcript="caption zero",
    )
    assert rows(h) == [
        ("item_0", "user", "caption zero", "done"),
        ("item_1", "user", "caption 1", "streaming"),
    ]


def test_beta_transcription_session_update() -> None:
    h = Harness(mode="transcribe", dialect="beta")
    [update] = [a.event for a in h.start() if hasattr(a, "event")]
    assert update["type"] == "transcription_session.update"
    assert update["session"]["input_audio_transcription"] == {"model": "gpt-4o-mini-transcribe"}
