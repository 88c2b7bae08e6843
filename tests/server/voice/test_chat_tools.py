"""Chat-completions tools: the offer as request fields, streamed calls, messages with calls."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.server.voice.chat_tools import (
    NO_OUTPUT,
    ToolCallAssembler,
    chat_messages,
    chat_tool_fields,
)
from voicechat.server.voice.tools import NO_TOOLS, FunctionTool, ToolCall, ToolOffer

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_the_offer_becomes_chat_tools_and_tool_choice() -> None:
    assert chat_tool_fields(NO_TOOLS) == {}
    offer = ToolOffer((FunctionTool("get_weather", "Weather now", SCHEMA), FunctionTool("ping")))
    assert chat_tool_fields(offer) == {
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather now",
                    "parameters": SCHEMA,
                },
            },
            {
                "type": "function",
                "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}},
            },
        ],
        "tool_choice": "auto",
    }
    forced = ToolOffer(offer.tools, {"type": "function", "name": "ping"})
    assert chat_tool_fields(forced)["tool_choice"] == {
        "type": "function",
        "function": {"name": "ping"},
    }
    assert chat_tool_fields(ToolOffer(offer.tools, "required"))["tool_choice"] == "required"


Chunks = list[list[dict[str, Any]]]


def openai_fragments(calls: list[tuple[str, str, str]], cuts: list[int]) -> Chunks:
    """Chunks shaped like OpenAI's stream: the first fragment of a call carries id, type and
    name with empty arguments, the rest carry argument pieces cut at ``cuts``."""
    chunks: list[list[dict[str, Any]]] = []
    for index, (call_id, name, arguments) in enumerate(calls):
        chunks.append(
            [
                {
                    "index": index,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }
            ]
        )
        bounds = sorted({c % (len(arguments) + 1) for c in cuts} | {0, len(arguments)})
        for start, end in itertools.pairwise(bounds):
            chunks.append([{"index": index, "function": {"arguments": arguments[start:end]}}])
    return chunks


def test_openai_shaped_stream_of_two_calls() -> None:
    assembler = ToolCallAssembler()
    for chunk in openai_fragments([("call_1", "a", '{"x": 1}'), ("call_2", "b", "{}")], [3, 5]):
        assembler.feed(chunk)
    assembler.feed(None)  # a chunk with no tool_calls
    assert assembler.calls() == [ToolCall("a", '{"x": 1}'), ToolCall("b", "{}")]


def test_malformed_arguments_pass_through_and_nameless_calls_are_dropped() -> None:
    assembler = ToolCallAssembler()
    assembler.feed([{"index": 0, "function": {"name": "f", "arguments": '{"city": "Par'}}])
    assembler.feed([{"index": 2, "function": {"arguments": "{}"}}])  # never named
    # no usable index: the fragment's place in the chunk stands in for it
    assembler.feed(["junk", {"index": "x", "function": {"name": "g"}}])
    assert assembler.calls() == [ToolCall("f", '{"city": "Par'), ToolCall("g", "")]


names = st.text(st.sampled_from("abcxyz_-0"), min_size=1, max_size=8)
arguments = st.one_of(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4).map(
        json.dumps
    ),
    st.text(max_size=30),  # a model's malformed arguments
)


@given(
    calls=st.lists(st.tuples(names, arguments), min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 200), max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_any_split_and_interleaving_assembles_the_same_calls(
    calls: list[tuple[str, str]], cuts: list[int], order: Any
) -> None:
    """Fragments cut anywhere, name pieces included, interleaved across calls (each call's
    own fragments in order): the same calls, in index order."""
    per_call: list[list[dict[str, Any]]] = []
    for index, (name, args) in enumerate(calls):
        name_cut = cuts[0] % (len(name) + 1) if cuts else 0
        frags = [
            {
                "index": index,
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name[:name_cut]},
            },
            {"index": index, "function": {"name": name[name_cut:]}},
        ]
        bounds = sorted({c % (len(args) + 1) for c in cuts} | {0, len(args)})
        frags += [
            {"index": index, "function": {"arguments": args[a:b]}}
            for a, b in itertools.pairwise(bounds)
        ]
        per_call.append(frags)
    assembler = ToolCallAssembler()
    cursors = [0] * len(per_call)
    while any(c < len(f) for c, f in zip(cursors, per_call, strict=True)):
        live = [i for i, f in enumerate(per_call) if cursors[i] < len(f)]
        pick = order.choice(live)
        take = order.randint(1, 2)
        chunk = per_call[pick][cursors[pick] : cursors[pick] + take]
        cursors[pick] += len(chunk)
        assembler.feed(chunk)
    assert assembler.calls() == [ToolCall(name, args) for name, args in calls]


def call(call_id: str, name: str = "f") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


def test_messages_answer_every_call_right_after_it() -> None:
    history = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [call("c1"), call("c2")]},
        {"role": "user", "content": "and hurry"},  # spoken while the tools ran
        {"role": "tool", "tool_call_id": "c2", "content": "late answer"},
        {"role": "tool", "tool_call_id": "c9", "content": "answers nothing"},
    ]
    msgs = chat_messages("", history, "weather?")
    assert msgs == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [call("c1"), call("c2")]},
        {"role": "tool", "tool_call_id": "c1", "content": NO_OUTPUT},
        {"role": "tool", "tool_call_id": "c2", "content": "late answer"},
        {"role": "user", "content": "and hurry"},
        {"role": "user", "content": "weather?"},
    ]


def test_a_response_after_an_output_continues_from_it() -> None:
    history = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "", "tool_calls": [call("c1")]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    msgs = chat_messages("sys", history, "weather?")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool"]
    assert msgs[2]["content"] is None  # no text beside the calls
