"""The conversation's item rules with plain calls: insert, find, delete, retrieve, truncate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Emitted as Recorder
from voicechat.protocol.errors import ProtocolError
from voicechat.server.conversation import Conversation, part_text


@pytest.fixture
def out() -> Recorder:
    return Recorder()


@pytest.fixture
def conv(out: Recorder) -> Conversation:
    return Conversation(out)


def text_item(item_id: str, text: str, role: str = "user") -> dict[str, Any]:
    kind = "input_text" if role == "user" else "output_text"
    return {
        "id": item_id,
        "type": "message",
        "role": role,
        "content": [{"type": kind, "text": text}],
    }


def assistant_audio(conv: Conversation, item_id: str, transcript: str, audio_ms: int) -> None:
    """An assistant audio item as a finished response leaves it."""
    item = {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_audio", "transcript": transcript}],
    }
    conv.begin_response_item(item)
    conv.set_audio_ms(item_id, audio_ms)
    conv.finish_response_item(item)


def ids(conv: Conversation) -> list[str]:
    return [item["id"] for item in conv.items]


def test_create_appends_and_announces_added_then_done(conv: Conversation, out: Recorder) -> None:
    assert conv.create({"item": text_item("a", "one")}) is None
    assert conv.create({"item": text_item("b", "two")}) is None
    assert ids(conv) == ["a", "b"]
    assert out.types() == ["conversation.item.added", "conversation.item.done"] * 2
    added_b = out.events[2]
    assert added_b["previous_item_id"] == "a"
    assert added_b["item"]["object"] == "realtime.item"
    assert added_b["item"]["status"] == "completed"


def test_create_after_previous_item_id_and_at_root(conv: Conversation, out: Recorder) -> None:
    for name in ("a", "c"):
        conv.create({"item": text_item(name, name)})
    assert conv.create({"item": text_item("b", "b"), "previous_item_id": "a"}) is None
    assert conv.create({"item": text_item("z", "z"), "previous_item_id": "root"}) is None
    assert ids(conv) == ["z", "a", "b", "c"]
    added = [e for e in out.events if e["type"] == "conversation.item.added"]
    assert [(e["item"]["id"], e["previous_item_id"]) for e in added][-2:] == [
        ("b", "a"),
        ("z", None),
    ]


def test_create_refusals_change_nothing(conv: Conversation, out: Recorder) -> None:
    conv.create({"item": text_item("a", "one")})
    before = (ids(conv), len(out.events))
    missing = conv.create({"item": text_item("b", "x"), "previous_item_id": "nope"})
    assert isinstance(missing, ProtocolError) and missing.code == "item_not_found"
    assert missing.param == "previous_item_id"
    duplicate = conv.create({"item": text_item("a", "again")})
    assert isinstance(duplicate, ProtocolError) and duplicate.param == "item.id"
    no_item = conv.create({})
    assert isinstance(no_item, ProtocolError) and no_item.code == "missing_required_parameter"
    assert (ids(conv), len(out.events)) == before


def test_create_assigns_an_id_and_a_null_transcript_to_input_audio(conv: Conversation) -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": ""}]}
    assert conv.create({"item": item}) is None
    stored = conv.items[0]
    assert stored["id"].startswith("item_")
    assert stored["content"][0]["transcript"] is None
    assert "id" not in item  # the caller's object is not changed


def test_find_retrieve_and_delete(conv: Conversation, out: Recorder) -> None:
    conv.create({"item": text_item("a", "one")})
    conv.create({"item": text_item("b", "two")})
    assert conv.find("b") == 1 and conv.find("zzz") is None
    assert conv.retrieve("a") is None
    retrieved = out.events[-1]
    assert retrieved["type"] == "conversation.item.retrieved"
    retrieved["item"]["content"][0]["text"] = "changed by the reader"
    assert conv.items[0]["content"][0]["text"] == "one"  # a copy went out
    assert conv.delete("a") is None
    assert out.events[-1] == {"type": "conversation.item.deleted", "item_id": "a"}
    assert ids(conv) == ["b"]
    for refused in (conv.delete("a"), conv.retrieve("a")):
        assert isinstance(refused, ProtocolError) and refused.code == "item_not_found"
        assert refused.param == "item_id"


def test_truncate_keeps_the_words_heard(conv: Conversation, out: Recorder) -> None:
    assistant_audio(conv, "r", "one two three four", audio_ms=2000)
    assert conv.truncate("r", 0, 1000) is None
    assert out.events[-1] == {
        "type": "conversation.item.truncated",
        "item_id": "r",
        "content_index": 0,
        "audio_end_ms": 1000,
    }
    assert conv.items[0]["content"][0]["transcript"] == "one two"
    assert conv.audio_ms("r") == 1000  # the next truncate is bounded by what is left
    error = conv.truncate("r", 0, 1500)
    assert isinstance(error, ProtocolError) and error.code == "invalid_value"
    assert "1000" in error.message


@pytest.mark.parametrize(
    ("content_index", "end_ms", "code"),
    [
        (0, 2001, "invalid_value"),  # past the audio the item holds
        (0, -1, "invalid_type"),
        (0, True, "invalid_type"),
        (0, "10", "invalid_type"),
        (1, 10, "invalid_value"),
    ],
)
def test_truncate_bounds_errors(
    conv: Conversation, out: Recorder, content_index: Any, end_ms: Any, code: str
) -> None:
    assistant_audio(conv, "r", "one two", audio_ms=2000)
    n = len(out.events)
    error = conv.truncate("r", content_index, end_ms)
    assert isinstance(error, ProtocolError) and error.code == code
    assert len(out.events) == n and conv.items[0]["content"][0]["transcript"] == "one two"


def test_truncate_only_assistant_audio(conv: Conversation) -> None:
    conv.create({"item": text_item("u", "hello")})
    conv.create({"item": text_item("t", "text reply", role="assistant")})
    for item_id in ("u", "t"):
        error = conv.truncate(item_id, 0, 0)
        assert isinstance(error, ProtocolError) and error.code == "invalid_value"
        assert error.param == "item_id"
    missing = conv.truncate("nope", 0, 0)
    assert isinstance(missing, ProtocolError) and missing.code == "item_not_found"


def test_truncate_to_played_only_shortens(conv: Conversation, out: Recorder) -> None:
    assistant_audio(conv, "r", "a b c d", audio_ms=1000)
    n = len(out.events)
    conv.truncate_to_played("r", 1000)  # everything was heard: nothing to cut
    conv.truncate_to_played(None, 10)
    conv.truncate_to_played("gone", 10)
    assert len(out.events) == n
    conv.truncate_to_played("r", 500)
    assert out.events[-1]["type"] == "conversation.item.truncated"
    assert conv.items[0]["content"][0]["transcript"] == "a b"


def test_response_item_added_then_done_in_place(conv: Conversation, out: Recorder) -> None:
    conv.create({"item": text_item("u", "hi")})
    item = {"id": "r", "type": "message", "role": "assistant", "status": "in_progress"}
    conv.begin_response_item(item)
    assert out.events[-1]["type"] == "conversation.item.added"
    assert out.events[-1]["previous_item_id"] == "u"
    conv.create({"item": text_item("late", "while answering")})
    conv.finish_response_item({**item, "status": "completed", "content": []})
    done = out.events[-1]
    assert done["type"] == "conversation.item.done" and done["previous_item_id"] == "u"
    assert conv.items[1]["status"] == "completed" and ids(conv) == ["u", "r", "late"]


def test_user_audio_transcript_and_what_was_heard(conv: Conversation) -> None:
    conv.add_user_audio("u1")
    conv.add_user_audio("u2")
    assert conv.items[0]["content"] == [{"type": "input_audio", "transcript": None}]
    conv.set_transcript("u1", "hello there")
    conv.set_heard("u2", "heard but not transcribed")
    conv.set_transcript("gone", "ignored")
    assert conv.text_of(conv.items[0]) == "hello there"
    assert conv.items[1]["content"][0]["transcript"] is None
    assert conv.text_of(conv.items[1]) == "heard but not transcribed"
    conv.delete("u2")
    conv.add_user_audio("u2")
    assert conv.text_of(conv.items[1]) == ""  # deleting forgets what was heard


def test_history_instructions_first_then_messages_calls_and_outputs(conv: Conversation) -> None:
    conv.create({"item": text_item("u", "question")})
    conv.create({"item": text_item("p", "Let me check.", role="assistant")})
    call = {"type": "function_call", "name": "x", "arguments": "{}"}
    conv.create({"item": {"id": "f", "call_id": "call_1", **call}})
    conv.create({"item": {"id": "g", "call_id": "call_2", **call}})
    conv.create({"item": {"type": "function_call_output", "call_id": "call_1", "output": "42"}})
    conv.create({"item": text_item("a", "answer", role="assistant")})
    tool_call = {"type": "function", "function": {"name": "x", "arguments": "{}"}}
    assert conv.history("be brief") == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "question"},
        {  # the preamble and both calls of one turn: one assistant message
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{"id": "call_1", **tool_call}, {"id": "call_2", **tool_call}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {"role": "assistant", "content": "answer"},
    ]
    assert conv.history("") == conv.history(None) == conv.history("be brief")[1:]
    only = [text_item("x", "given instead", role="user")]
    assert conv.history(None, only) == [{"role": "user", "content": "given instead"}]
    assert conv.last_user() is conv.items[0]
    assert conv.last_user([]) is None


def test_an_output_must_answer_a_call_in_the_conversation(conv: Conversation) -> None:
    output = {"type": "function_call_output", "call_id": "call_nope", "output": "x"}
    problem = conv.create({"item": output})
    assert problem is not None and problem.param == "item.call_id" and problem.code is None
    assert problem.message.startswith(
        "No tool call found for function call output with call_id 'call_nope'."
    )
    assert conv.items == []  # refused: nothing added
    conv.create({"item": {"type": "function_call", "call_id": "call_nope", "name": "f",
                          "arguments": "{}"}})
    assert conv.create({"item": output}) is None
    conv.delete(conv.items[0]["id"])  # the call deleted: a second answer has nothing to answer
    assert conv.create({"item": {**output, "id": "o2"}}) is not None


def test_resolve_input(conv: Conversation) -> None:
    conv.create({"item": text_item("u", "known")})
    assert conv.resolve_input(None) is None  # no input: the response sees the conversation
    inline = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
    items = conv.resolve_input([{"type": "item_reference", "id": "u"}, inline, 7])
    assert isinstance(items, list) and len(items) == 2
    assert items[0] == conv.items[0] and items[0] is not conv.items[0]
    assert items[1]["id"].startswith("item_")
    assert len(conv.items) == 1  # nothing was added to the conversation
    missing = conv.resolve_input([{"type": "message"}, {"type": "item_reference", "id": "nope"}])
    assert isinstance(missing, ProtocolError) and missing.param == "response.input[1].id"


def test_part_text() -> None:
    assert part_text({"type": "output_text", "text": "t"}) == "t"
    assert part_text({"type": "output_audio", "transcript": "s"}) == "s"
    assert part_text({"type": "input_audio", "transcript": None}) == ""
    assert part_text("not a part") == ""
