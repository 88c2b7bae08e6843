"""The conversation builder: turns in conversation order whatever order events arrive in, cuts
where the user stopped hearing, tool calls with results, usage per answer, and no crash on
anything a log can hold."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.conversation import ConversationBuilder
from voicechat.core.heard_text import cut_heard

JSON = dict[str, Any]


def added(item_id: str, role: str, text: str, prev: str | None) -> JSON:
    part = "input_text" if role == "user" else "output_text"
    return {"type": "conversation.item.added", "previous_item_id": prev,
            "item": {"id": item_id, "type": "message", "role": role, "status": "completed",
                     "content": [{"type": part, "text": text}]}}


def build(events: list[tuple[str, JSON]]) -> Any:
    builder = ConversationBuilder()
    for n, (direction, event) in enumerate(events):
        builder.feed(direction, float(n), None, event)
    return builder.conversation()


def test_an_interrupted_answer_is_cut_at_the_heard_share_of_its_measured_audio() -> None:
    text = "one two three four five six seven eight"
    conversation = build([
        ("in", {"type": "session.created", "session": {
            "model": "gpt-realtime", "audio": {"output": {"format": {"type": "audio/pcm"}}}}}),
        ("in", added("u1", "user", "hi", None)),
        ("in", {"type": "response.output_item.added", "response_id": "r1",
                "item": {"id": "a1", "type": "message", "role": "assistant", "content": []}}),
        # 4000 ms of 24 kHz PCM16 audio, as the redacted log stores it
        ("in", {"type": "response.output_audio.delta", "item_id": "a1",
                "delta": {"bytes": 48 * 4000}}),
        ("in", {"type": "response.output_audio_transcript.done", "item_id": "a1",
                "transcript": text}),
        ("out", {"type": "conversation.item.truncate", "item_id": "a1", "content_index": 0,
                 "audio_end_ms": 2000}),
        ("in", {"type": "conversation.item.truncated", "item_id": "a1", "audio_end_ms": 1500}),
        ("in", {"type": "response.done", "response": {
            "id": "r1", "status": "cancelled", "output": [{
                "id": "a1", "type": "message", "role": "assistant", "status": "incomplete",
                "content": [{"type": "output_audio", "transcript": text}]}],
            "usage": {"input_tokens": 100, "output_tokens": 50,
                      "input_token_details": {"text_tokens": 100},
                      "output_token_details": {"audio_tokens": 50}}}}),
    ])
    user, answer = conversation.turns
    assert (user.speaker, user.text) == ("user", "hi")
    assert answer.status == "interrupted"
    assert answer.interruption is not None
    # the server's 1500 ms wins over the client's request; 1500/4000 of 39 chars = 14
    assert answer.interruption.heard_ms == 1500
    assert answer.interruption.audio_ms == 4000 and not answer.interruption.estimated
    assert answer.text + answer.interruption.unheard_text == text
    assert answer.text.rstrip() == "one two three"
    assert answer.usage is not None and answer.usage.tokens.total == 150
    assert answer.usage.cost_usd is not None and answer.usage.cost_usd > 0
    assert conversation.responses == 1 and conversation.model == "gpt-realtime"


def test_a_tool_call_carries_its_arguments_and_result_and_its_output_is_not_a_turn() -> None:
    call = {"id": "fc1", "type": "function_call", "call_id": "call_1", "name": "get_weather",
            "arguments": '{"city": "Paris"}', "status": "completed"}
    output = {"id": "o1", "type": "function_call_output", "call_id": "call_1",
              "output": '{"temp_c": 18}'}
    conversation = build([
        ("in", added("u1", "user", "weather?", None)),
        ("in", {"type": "response.output_item.done", "response_id": "r1", "item": call}),
        ("out", {"type": "conversation.item.create", "item": output}),
        ("in", {"type": "conversation.item.added", "previous_item_id": "fc1", "item": output}),
        ("in", added("a2", "assistant", "It is 18 degrees.", "o1")),
    ])
    assert [t.speaker for t in conversation.turns] == ["user", "tool", "assistant"]
    tool = conversation.turns[1].tool
    assert tool is not None
    assert (tool.name, tool.arguments, tool.output) == (
        "get_weather", '{"city": "Paris"}', '{"temp_c": 18}')


def test_out_of_band_responses_and_secrets_stay_out() -> None:
    conversation = build([
        ("in", added("u1", "user", "my key is sk-abcdefghijklmnop1234", None)),
        ("in", {"type": "response.created", "response": {"id": "side", "conversation_id": None}}),
        ("in", {"type": "response.output_item.added", "response_id": "side",
                "item": {"id": "x1", "type": "message", "role": "assistant", "content": []}}),
        ("in", {"type": "response.output_text.done", "response_id": "side", "item_id": "x1",
                "text": "classified"}),
        ("in", {"type": "response.done", "response": {"id": "side", "conversation_id": None}}),
    ])
    assert [t.text for t in conversation.turns] == ["my key is [redacted]"]


# --- properties ------------------------------------------------------------------------------

ROLES = st.sampled_from(["user", "assistant"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ROLES, st.text(min_size=1, max_size=12)), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_turns_follow_previous_item_id_whatever_order_the_items_arrive_in(
        spoken: list[tuple[str, str]], rnd: Any) -> None:
    ids = [f"item{n}" for n in range(len(spoken))]
    events = [added(ids[n], role, text, ids[n - 1] if n else None)
              for n, (role, text) in enumerate(spoken)]
    rnd.shuffle(events)
    conversation = build([("in", e) for e in events])
    assert [t.item_id for t in conversation.turns] == ids
    assert [t.speaker for t in conversation.turns] == [role for role, _ in spoken]


EVENT_TYPES = st.sampled_from([
    "session.created", "session.updated", "conversation.item.added", "conversation.item.done",
    "conversation.item.created", "conversation.item.truncated", "conversation.item.deleted",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.delta", "input_audio_buffer.committed",
    "response.created", "response.done", "response.output_item.added",
    "response.output_item.done", "response.output_audio.delta",
    "response.output_audio_transcript.delta", "response.output_audio_transcript.done",
    "response.function_call_arguments.done", "conversation.item.truncate",
    "conversation.item.create", "error", "weird.thing",
])
IDS = st.sampled_from(["a", "b", "c", "root", None])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
                   IDS, st.floats(allow_nan=True))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["id", "type", "role", "content", "text", "transcript",
                                     "call_id", "name", "arguments", "output", "usage",
                                     "bytes", "model", "audio", "format", "status"]),
                    inner, max_size=4)), max_leaves=12)
EVENTS = st.builds(
    lambda kind, fields: {"type": kind, **fields}, EVENT_TYPES,
    st.dictionaries(st.sampled_from(["item", "item_id", "previous_item_id", "delta",
                                     "transcript", "text", "response", "response_id",
                                     "audio_end_ms", "session", "arguments", "name"]),
                    st.one_of(VALUES, IDS), max_size=5))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["in", "out", "local"]), EVENTS), max_size=25))
def test_any_events_in_any_order_never_crash_the_builder(
        events: list[tuple[str, dict[str, Any]]]) -> None:
    conversation = build(events)
    for turn in conversation.turns:
        assert turn.speaker in ("user", "assistant", "tool")
        assert isinstance(turn.text, str)


@given(st.text(max_size=60), st.integers(-100, 10_000), st.integers(-100, 10_000))
def test_a_cut_splits_the_text_at_a_word_boundary_and_loses_nothing(
        text: str, heard: int, total: int) -> None:
    kept, rest = cut_heard(text, heard, total)
    assert kept + rest == text
    if kept and rest:
        assert kept[-1].isspace() or rest[0].isspace()
