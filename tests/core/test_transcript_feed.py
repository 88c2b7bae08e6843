"""The transcript feed on its own: events into the transcript, wrong-typed fields skipped."""

from __future__ import annotations

from typing import Any

from tests.core.harness import assistant_item, user_audio_item
from voicechat.core.actions import Notice
from voicechat.core.effects import Effects
from voicechat.core.outbox import Outbox
from voicechat.core.transcript import Transcript
from voicechat.core.transcript_feed import TranscriptFeed
from voicechat.protocol.dialect import Dialect


def feed() -> tuple[TranscriptFeed, Effects]:
    effects = Effects(Outbox(Dialect.GA))
    return TranscriptFeed(Transcript(transcription=True), effects), effects


def run(f: TranscriptFeed, kind: str, **fields: Any) -> None:
    f.handlers()[kind]({"type": kind, **fields}, 0.0)


def test_a_user_turn_then_an_answer_read_in_order() -> None:
    f, _ = feed()
    run(f, "input_audio_buffer.committed", previous_item_id=None, item_id="item_u1")
    run(f, "conversation.item.added", previous_item_id=None, item=user_audio_item("item_u1"))
    run(f, "response.output_item.added", response_id="resp_1", item=assistant_item("item_a1"))
    run(f, "response.output_audio_transcript.delta", item_id="item_a1", delta="Hel")
    run(f, "response.output_audio_transcript.delta", item_id="item_a1", delta="lo")
    run(f, "conversation.item.input_audio_transcription.delta", item_id="item_u1", delta="h")
    run(f, "conversation.item.input_audio_transcription.completed", item_id="item_u1",
        transcript="hi")
    user, answer = f.transcript.snapshot()
    assert (user.id, user.text, user.status) == ("item_u1", "hi", "done")
    assert (answer.text, answer.response_id) == ("Hello", "resp_1")


def test_response_done_output_carries_the_final_text() -> None:
    f, _ = feed()
    final = assistant_item("item_a1", "the whole answer", "completed")
    f.response_output({"id": "resp_1", "output": [final, "junk"]})
    [entry] = f.transcript.snapshot()
    assert (entry.text, entry.response_id) == ("the whole answer", "resp_1")


def test_truncated_and_deleted_items() -> None:
    f, _ = feed()
    run(f, "conversation.item.added", item=assistant_item("item_a1", "long"))
    run(f, "conversation.item.truncated", item_id="item_a1", audio_end_ms=10)
    assert f.transcript.snapshot()[0].truncated
    run(f, "conversation.item.deleted", item_id="item_a1")
    assert f.transcript.snapshot() == ()


def test_failed_transcription_says_why() -> None:
    f, effects = feed()
    run(f, "input_audio_buffer.committed", item_id="item_u1")
    run(f, "conversation.item.input_audio_transcription.failed", item_id="item_u1",
        error={"message": "audio too short"})
    run(f, "conversation.item.input_audio_transcription.failed", item_id=3, error="x")
    [entry] = f.transcript.snapshot()
    assert (entry.status, entry.error) == ("failed", "audio too short")
    assert effects.take() == [
        Notice("warning", "transcription failed: audio too short"),
        Notice("warning", "transcription failed: transcription failed"),
    ]


def test_wrong_typed_fields_are_skipped() -> None:
    f, _ = feed()
    for kind in f.handlers():
        run(f, kind, item_id=7, item="x", delta=None, transcript=1, text=[], previous_item_id={})
    assert f.transcript.snapshot() == ()
