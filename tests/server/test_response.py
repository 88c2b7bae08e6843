"""A response's event sequence with plain calls: every ending closes what it opened."""

from __future__ import annotations

from typing import Any

from tests.helpers import Emitted as Recorder
from voicechat.server import sessions
from voicechat.server.conversation import Conversation
from voicechat.server.response import ResponseEvents, ResponseRun, new_run, split_sentences


def setup(**params: Any) -> tuple[ResponseEvents, ResponseRun, Conversation, Recorder]:
    out = Recorder()
    conv = Conversation(out)
    conv.create(
        {
            "item": {
                "id": "u",
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hello there"}],
            }
        }
    )
    state = sessions.SessionState(sessions.default_session("gpt-realtime"))
    run = new_run(params, state, conv, None)
    out.events.clear()
    return ResponseEvents(out, conv), run, conv, out


def test_new_run_takes_the_session_defaults_unless_overridden() -> None:
    _, run, _, _ = setup()
    assert run.id.startswith("resp_") and run.audio and run.in_conversation
    assert run.voice == "alloy" and dict(run.fmt) == sessions.PCM24
    assert run.instructions == sessions.DEFAULT_INSTRUCTIONS and run.max_output_tokens == "inf"
    assert run.input_tokens > 0
    _, custom, _, _ = setup(
        output_modalities=["text"],
        conversation="none",
        instructions="short",
        max_output_tokens=50,
        metadata={"k": "v"},
        audio={"output": {"voice": "verse", "format": {"type": "audio/pcmu"}}},
    )
    assert not custom.audio and not custom.in_conversation
    assert (custom.instructions, custom.max_output_tokens, custom.metadata) == (
        "short",
        50,
        {"k": "v"},
    )
    assert custom.voice == "verse" and custom.fmt == {"type": "audio/pcmu"}


def test_completed_audio_response_sequence() -> None:
    events, run, conv, out = setup()
    events.created(run, [{"name": "requests"}])
    message = events.opened(run)
    events.delta(run, "Hi ")
    events.delta(run, "you.")
    events.audio_written(run, message.id, 24000)
    output = events.close_parts(run, "completed")
    events.done(run, "completed", None, output)
    assert out.types() == [
        "response.created",
        "rate_limits.updated",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_audio_transcript.delta",
        "response.output_audio_transcript.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    created, done = out.events[0]["response"], out.events[-1]["response"]
    assert created["status"] == "in_progress" and created["usage"] is None
    assert created["conversation_id"] == conv.id
    assert done["status"] == "completed" and done["output"][0]["status"] == "completed"
    assert done["output"][0]["content"] == [{"type": "output_audio", "transcript": "Hi you."}]
    # one second of speech is 20 audio tokens; "Hi you." 2 text tokens; every real field is there
    inp = run.input_tokens
    assert done["usage"] == {
        "total_tokens": inp + 22,
        "input_tokens": inp,
        "output_tokens": 22,
        "input_token_details": {
            "text_tokens": inp,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": 2, "audio_tokens": 20},
    }
    deltas = [e for e in out.events if e["type"] == "response.output_audio_transcript.delta"]
    # the real GA padding: random characters up to a multiple of 16
    assert [len(e["delta"] + e["obfuscation"]) for e in deltas] == [16, 16]
    assert out.events[5]["delta"] == "Hi " and out.events[5]["item_id"] == message.id
    assert conv.items[-1]["id"] == message.id and conv.items[-1]["status"] == "completed"
    assert conv.audio_ms(message.id) == 1000  # the bound of a later truncate


def test_cancelled_before_output_closes_only_the_response() -> None:
    events, run, conv, out = setup()
    events.created(run, [])
    output = events.close_parts(run, "cancelled")
    details = {"type": "cancelled", "reason": "turn_detected"}
    events.done(run, "cancelled", details, output)
    assert out.types()[-1] == "response.done" and len(out.events) == 3
    done = out.events[-1]["response"]
    assert done["output"] == [] and done["status_details"] == details
    assert len(conv.items) == 1  # no assistant item was started


def test_cancelled_text_response_leaves_an_incomplete_item() -> None:
    events, run, conv, out = setup(output_modalities=["text"])
    events.opened(run)
    events.delta(run, "partial")
    output = events.close_parts(run, "cancelled")
    assert out.types()[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
    ]
    assert output[0]["status"] == "incomplete"
    assert output[0]["content"] == [{"type": "output_text", "text": "partial"}]
    assert conv.items[-1]["status"] == "incomplete"


def test_out_of_band_response_adds_nothing_to_the_conversation() -> None:
    events, run, conv, out = setup(conversation="none")
    events.created(run, [])
    events.opened(run)
    output = events.close_parts(run, "completed")
    events.done(run, "completed", None, output)
    assert "conversation.item.added" not in out.types()
    assert "conversation.item.done" not in out.types()
    assert out.events[0]["response"]["conversation_id"] is None
    assert [i["id"] for i in conv.items] == ["u"]


def test_split_sentences_keeps_the_unfinished_rest() -> None:
    assert split_sentences("One. Two! Thr") == (["One.", "Two!"], "Thr")
    assert split_sentences("no end yet") == ([], "no end yet")
    assert split_sentences("Done. ") == (["Done."], "")


def test_a_spoken_preamble_then_a_call_in_one_response() -> None:
    """Real beta order (realtime-tools.md REC-01): the message closes before the call opens."""
    events, run, conv, out = setup()
    events.created(run, [])
    events.delta(run, "Let me check.")  # the first text opens the message
    call = events.open_function_call(run, "get_weather", "call_0123456789abcdef")
    events.arguments_delta(run, call, '{"city":')
    events.arguments_delta(run, call, '"Paris"}')
    output = events.close_parts(run, "completed")
    events.done(run, "completed", None, output)
    assert out.types()[2:] == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_audio_transcript.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    added = out.of("response.output_item.added")[1]
    assert added["output_index"] == 1
    assert added["item"] == {
        "id": call.id,
        "type": "function_call",
        "object": "realtime.item",
        "status": "in_progress",
        "name": "get_weather",
        "call_id": "call_0123456789abcdef",
        "arguments": "",
    }
    args_done = out.of("response.function_call_arguments.done")[0]
    assert args_done == {
        "type": "response.function_call_arguments.done",
        "response_id": run.id,
        "item_id": call.id,
        "output_index": 1,
        "call_id": "call_0123456789abcdef",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }
    assert [(o["type"], o["status"]) for o in output] == [
        ("message", "completed"),
        ("function_call", "completed"),
    ]
    assert output[1]["arguments"] == '{"city":"Paris"}'
    assert [i["type"] for i in conv.items] == ["message", "message", "function_call"]
    assert conv.items[-1]["status"] == "completed"


def test_parallel_calls_take_consecutive_output_indexes() -> None:
    events, run, conv, out = setup()
    first = events.open_function_call(run, "a", "call_a")
    events.close_item(run, first, "completed")
    second = events.open_function_call(run, "b", "call_b")
    output = events.close_parts(run, "completed")
    assert [o["call_id"] for o in output] == ["call_a", "call_b"]
    assert [e["output_index"] for e in out.of("response.output_item.added")] == [0, 1]
    assert second.final is not None and second.final["arguments"] == ""
    assert [i["call_id"] for i in conv.items if i["type"] == "function_call"] == [
        "call_a",
        "call_b",
    ]


def test_a_call_cut_by_a_cancel_ends_incomplete_with_its_arguments_done() -> None:
    """``.function_call_arguments.done`` comes on every ending (the spec says so)."""
    events, run, conv, out = setup()
    call = events.open_function_call(run, "f", "call_f")
    events.arguments_delta(run, call, '{"a"')
    output = events.close_parts(run, "cancelled")
    assert out.types()[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
    ]
    assert output[0]["status"] == "incomplete" and output[0]["arguments"] == '{"a"'
    assert conv.items[-1]["status"] == "incomplete"


def test_text_after_a_call_opens_a_new_message_in_the_next_slot() -> None:
    events, run, _, out = setup(output_modalities=["text"])
    call = events.open_function_call(run, "f", "call_f")
    events.delta(run, "Done.")
    assert call.final is not None  # the call closed before the message opened
    message = run.message
    assert message is not None and message.index == 1
    assert out.of("response.output_text.delta")[0]["output_index"] == 1
    assert [o["type"] for o in events.close_parts(run, "completed")] == ["function_call", "message"]
