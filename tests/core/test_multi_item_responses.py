"""Responses with several items: a spoken preamble then a call, two messages in one response
(gpt-realtime-2's ``commentary`` then ``final_answer``), each kept in order in the transcript,
and a barge-in truncating the item whose audio is playing (not merely the response's first or
last)."""

from __future__ import annotations

import base64
from typing import Any

from tests.core.harness import Harness, sends
from voicechat.core import (
    CancelRequested,
    PlaybackProgress,
    PlaybackStarted,
    RunTool,
    SendText,
    ToolFinished,
    ToolSpec,
)

PCM_100MS = base64.b64encode(b"\x00\x00" * 2400).decode()  # 24 kHz pcm16


def message(item_id: str, phase: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "content": [],
    }
    if phase is not None:
        item["phase"] = phase
    return item


def speak(
    h: Harness,
    rid: str,
    index: int,
    item_id: str,
    text: str,
    *,
    phase: str | None = None,
    chunks: int = 5,
) -> None:
    """One assistant message with audio (``chunks`` × 100 ms) and its transcript."""
    h.ev(
        "response.output_item.added",
        response_id=rid,
        output_index=index,
        item=message(item_id, phase),
    )
    h.ev("conversation.item.added", item=message(item_id, phase))
    h.ev(
        "response.content_part.added",
        response_id=rid,
        item_id=item_id,
        output_index=index,
        content_index=0,
        part={"type": "audio", "transcript": ""},
    )
    for _ in range(chunks):
        h.ev(
            "response.output_audio.delta",
            response_id=rid,
            item_id=item_id,
            output_index=index,
            content_index=0,
            delta=PCM_100MS,
        )
    h.ev(
        "response.output_audio_transcript.delta",
        response_id=rid,
        item_id=item_id,
        output_index=index,
        content_index=0,
        delta=text,
    )
    h.ev(
        "response.output_audio_transcript.done",
        response_id=rid,
        item_id=item_id,
        output_index=index,
        content_index=0,
        transcript=text,
    )
    done = {
        **message(item_id, phase),
        "status": "completed",
        "content": [{"type": "output_audio", "transcript": text}],
    }
    h.ev("response.output_item.done", response_id=rid, output_index=index, item=done)
    h.ev("conversation.item.done", item=done)


def truncates(h: Harness) -> list[dict[str, Any]]:
    return [e for e in sends(h.actions) if e["type"] == "conversation.item.truncate"]


def test_two_messages_in_one_response_keep_their_order_and_phase() -> None:
    h = Harness(transport="websocket")
    h.start()
    h.do(SendText("plan my trip"))
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    speak(h, "resp_1", 0, "item_pre", "Let me think about that.", phase="commentary")
    speak(h, "resp_1", 1, "item_final", "Go to Lisbon in May.", phase="final_answer")
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": []})
    assistant = [e for e in h.view.entries if e.role == "assistant"]
    assert [(e.id, e.text, e.phase, e.status) for e in assistant] == [
        ("item_pre", "Let me think about that.", "commentary", "done"),
        ("item_final", "Go to Lisbon in May.", "final_answer", "done"),
    ]


def test_barge_in_truncates_the_message_whose_audio_plays() -> None:
    h = Harness(transport="websocket", barge_in=True)
    h.start()
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    speak(h, "resp_1", 0, "item_pre", "One moment.", phase="commentary")
    speak(h, "resp_1", 1, "item_final", "The answer is long.", phase="final_answer")
    h.do(PlaybackStarted("item_pre"))
    h.do(PlaybackProgress("item_pre", 500.0))
    h.do(PlaybackStarted("item_final"))
    h.do(PlaybackProgress("item_final", 200.0))
    h.do(CancelRequested())
    [cut] = truncates(h)
    assert (cut["item_id"], cut["audio_end_ms"]) == ("item_final", 200)
    entries = {e.id: e for e in h.view.entries}
    assert entries["item_final"].truncated and not entries["item_pre"].truncated


def test_a_preamble_then_a_call_and_a_barge_in_while_the_preamble_plays() -> None:
    tool = ToolSpec("lookup", approval="auto", timeout_s=10.0)
    h = Harness(transport="websocket", barge_in=True, tools=(tool,))
    h.start()
    h.do(SendText("look it up"))
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    speak(h, "resp_1", 0, "item_pre", "Sure, let me check.")
    call = {
        "id": "item_call",
        "type": "function_call",
        "call_id": "call_1",
        "name": "lookup",
        "arguments": "{}",
        "status": "completed",
    }
    h.ev(
        "response.output_item.added",
        response_id="resp_1",
        output_index=1,
        item={**call, "status": "in_progress", "arguments": ""},
    )
    h.ev("conversation.item.added", item={**call, "status": "in_progress", "arguments": ""})
    h.ev("response.output_item.done", response_id="resp_1", output_index=1, item=call)
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": [call]})
    # the call runs while the preamble still plays (the reply must not wait for playback)
    assert [a.call_id for a in h.actions if isinstance(a, RunTool)] == ["call_1"]
    entries = [(e.id, e.role, e.kind) for e in h.view.entries]
    assert entries[-2:] == [
        ("item_pre", "assistant", "message"),
        ("item_call", "tool", "function_call"),
    ]
    assert h.view.entries[-1].call_id == "call_1"
    h.do(PlaybackStarted("item_pre"))
    h.do(PlaybackProgress("item_pre", 300.0))
    h.do(CancelRequested())  # the user cuts the preamble off while the tool runs
    assert [c["item_id"] for c in truncates(h)] == ["item_pre"]
    h.do(ToolFinished("call_1", "found it", True, 0.4))
    outputs = [
        e
        for e in sends(h.actions)
        if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"
    ]
    assert [o["item"]["call_id"] for o in outputs] == ["call_1"]
    creates = [e for e in sends(h.actions) if e["type"] == "response.create"]
    assert len(creates) == 1  # the typed message's; none after the interrupted tool turn
