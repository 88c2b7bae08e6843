"""The session core times every answered turn as it dispatches (issue 39): each result leaves
as a ``LocalRecord``, with the core's own clock, and a barge-in is timed from its onset."""

from __future__ import annotations

from typing import Any

from tests.core.harness import Harness, response_done, response_starts, user_turn
from voicechat.core import CancelRequested, PlaybackStarted, SendText
from voicechat.core.actions import Action, LocalRecord


def records(actions: list[Action], kind: str) -> list[dict[str, Any]]:
    return [a.event for a in actions if isinstance(a, LocalRecord) and a.event["type"] == kind]


def audio(h: Harness, rid: str, item: str) -> None:
    h.ev("response.output_audio.delta", response_id=rid, item_id=item, output_index=0,
         content_index=0, delta="AAAA")


def test_a_spoken_turn_leaves_its_latency_with_the_cores_clock() -> None:
    h = Harness(transport="websocket")
    h.start()
    h.advance(1.0)
    user_turn(h, "item_u1", None)  # speech_stopped at t=1.0
    h.advance(0.25)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    h.advance(0.5)
    audio(h, "resp_1", "item_a1")
    h.advance(0.04)
    h.do(PlaybackStarted("item_a1"))
    h.advance(2.0)
    response_done(h, "resp_1", "item_a1", "Hi there.")
    [turn] = records(h.actions, "local.turn.latency")
    assert turn["end"] == "speech_stopped" and turn["item_id"] == "item_a1"
    assert turn["first_audio_ms"] == 750.0 and turn["played_ms"] == 790.0
    assert turn["stages"] == {"commit": 0.0, "response": 250.0, "model": 500.0}


def test_a_typed_turn_is_timed_from_the_response_create_the_core_sent() -> None:
    h = Harness(transport="webrtc")
    h.start()
    h.advance(2.0)
    h.do(SendText("hello"))
    h.advance(0.1)
    response_starts(h, "resp_1", "item_a1", None)
    h.advance(0.2)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(1.0)
    response_done(h, "resp_1", "item_a1", "Hello!")
    # the core waits for the runtime's playback report (its first sound is the user's wait)
    assert records(h.actions, "local.turn.latency") == []
    h.advance(0.05)
    h.do(PlaybackStarted("item_a1"))
    [turn] = records(h.actions, "local.turn.latency")
    assert turn["end"] == "typed" and turn["transport"] == "webrtc"
    assert turn["first_audio_ms"] == 300.0 and turn["played_ms"] == 1350.0


def test_the_cancel_key_over_an_answer_is_a_timed_barge_in() -> None:
    h = Harness(transport="websocket")
    h.start()
    user_turn(h, "item_u1", None)
    response_starts(h, "resp_1", "item_a1", "item_u1")
    audio(h, "resp_1", "item_a1")
    h.do(PlaybackStarted("item_a1"))
    h.advance(1.0)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=3000, item_id="item_u2")
    h.advance(0.3)
    h.do(CancelRequested())
    h.advance(0.1)
    response_done(h, "resp_1", "item_a1", "Hi", status="cancelled")
    [barge] = records(h.actions, "local.turn.bargein")
    assert barge["onset"] == "server" and barge["response_id"] == "resp_1"
    assert barge["action_ms"] == 300.0 and barge["cancelled_ms"] == 400.0
