"""A Responses delegation's calls belong to the response their delegation runs, although the
nested ``response.output_item.done`` carries no response id (the SDK's
``ResponseOutputItemDoneEvent`` has none, and the local server sends none): the one
``response.create`` follows the last output, whether the response completed before or after
the tool answered (found by ``voicechat --api live`` with ``live_delegation = "responses"``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.core.live.harness import LiveHarness, sent
from voicechat.core.inputs import ToolFinished


def run(answer_first: list[bool]) -> list[str]:
    h = LiveHarness(delegation={"type": "responses", "responses": {"model": "gpt-5.5"}})
    h.start()
    h.started()
    h.ev("session.delegation.created", offset_ms=10, delegation={
        "id": "item_r1", "type": "delegation", "target": "responses", "response_id": "resp_1"})

    kinds: list[str] = []

    def nested(event: dict[str, object]) -> None:
        kinds.extend(e["type"] for e in sent(h.ev("response.event", delegation_id="item_r1",
                                                  event=event)))

    nested({"type": "response.created", "response": {"id": "resp_1"}})
    calls = [f"call_{n}" for n in range(len(answer_first))]
    for call in calls:
        nested({"type": "response.output_item.done", "output_index": 0, "sequence_number": 1,
                "item": {"type": "function_call", "call_id": call, "name": "lookup",
                         "arguments": "{}"}})
    early = [c for c, first in zip(calls, answer_first, strict=True) if first]
    late = [c for c in calls if c not in early]
    for call in early:
        kinds += [e["type"] for e in sent(h.do(ToolFinished(call, "ok")))]
    nested({"type": "response.completed", "response": {"id": "resp_1", "output": []}})
    for call in late:
        kinds += [e["type"] for e in sent(h.do(ToolFinished(call, "ok")))]
    return kinds


@given(st.lists(st.booleans(), min_size=1, max_size=5))
def test_one_create_after_every_output_in_any_order(answer_first: list[bool]) -> None:
    kinds = run(answer_first)
    assert kinds.count("response.item.create") == len(answer_first)
    assert kinds.count("response.create") == 1
    assert kinds[-1] == "response.create"


def test_the_tool_answering_after_completion_continues_the_backend() -> None:
    assert run([False]) == ["response.item.create", "response.create"]
