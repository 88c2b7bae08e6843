"""Property tests for the tool loop: any interleaving of responses, call items, results,
approvals, cancels, user turns and time.

A small model written from the rules (not from the code) checks that:

* a call runs only if its item arrived ``completed`` while its response had not ended other
  than completed, and runs at most once;
* every call gets at most one ``function_call_output``, and once everything running has finished
  (or timed out), every call that was run or answered at approval has exactly one;
* ``response.create`` is never sent for tools before a calling response's ``response.done``,
  at most once per calling response, and never for a response that was cancelled, interrupted
  or overtaken by the user's turn.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.harness import Harness, sends
from voicechat.core import (
    AskApproval,
    CancelRequested,
    RunTool,
    SendText,
    ToolApproval,
    ToolFinished,
    ToolSpec,
)

TOOLS = (
    ToolSpec("auto_tool", approval="auto", timeout_s=5.0),
    ToolSpec("ask_tool", approval="ask", timeout_s=5.0),
)
NAMES = ["auto_tool", "ask_tool", "missing"]
RIDS = ["resp_0", "resp_1", "resp_2"]
CALLS = ["call_0", "call_1", "call_2", "call_3"]

step = st.one_of(
    st.tuples(st.just("created"), st.sampled_from(RIDS)),
    st.tuples(
        st.just("item"),
        st.sampled_from(RIDS),
        st.sampled_from(CALLS),
        st.sampled_from(NAMES),
        st.sampled_from(["completed", "incomplete"]),
        st.sampled_from(['{"x": 1}', "{bad", ""]),
    ),
    st.tuples(
        st.just("done"),
        st.sampled_from(RIDS),
        st.sampled_from(["completed", "cancelled", "incomplete", "failed"]),
    ),
    st.tuples(st.just("finish"), st.sampled_from(CALLS), st.booleans()),
    st.tuples(
        st.just("approve"), st.sampled_from(CALLS), st.sampled_from(["once", "always", "deny"])
    ),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("text")),
    st.tuples(st.just("time"), st.floats(0.1, 7.0)),
)


def creates(actions: list[Any]) -> int:
    return sum(1 for e in sends(actions) if e["type"] == "response.create")


def output_ids(actions: list[Any]) -> list[str]:
    return [
        e["item"]["call_id"]
        for e in sends(actions)
        if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=40))
def test_any_interleaving_keeps_the_tool_rules(steps: list[tuple[Any, ...]]) -> None:
    h = Harness(tools=TOOLS)
    h.start()
    ended: dict[str, str] = {}  # rid -> final status
    item_ok: dict[str, bool] = {}  # call_id -> first item done was completed in a live response
    call_rid: dict[str, str] = {}
    ran: list[str] = []
    asked: list[str] = []
    calling_done: list[str] = []  # completed responses that carried a call, in order
    user_turns = 0
    interrupted = False
    for s in steps:
        kind = s[0]
        if kind == "created":
            actions = h.ev(
                "response.created", response={"id": s[1], "status": "in_progress", "output": []}
            )
        elif kind == "item":
            _, rid, cid, name, status, args = s
            item = {
                "id": f"it_{cid}",
                "type": "function_call",
                "call_id": cid,
                "name": name,
                "arguments": args,
                "status": status,
            }
            if cid not in item_ok:
                item_ok[cid] = status == "completed" and ended.get(rid, "completed") == "completed"
                call_rid[cid] = rid
                if item_ok[cid] and ended.get(rid) == "completed" and rid not in calling_done:
                    calling_done.append(rid)  # out of order: a call after its response's done
            actions = h.ev("response.output_item.done", response_id=rid, output_index=0, item=item)
        elif kind == "done":
            _, rid, status = s
            output = [
                {
                    "type": "function_call",
                    "call_id": c,
                    "name": "auto_tool",
                    "arguments": "{}",
                    "status": "completed",
                }
                for c, r in call_rid.items()
                if r == rid
            ]
            if rid not in ended:
                ended[rid] = status
                if status == "completed" and output:
                    calling_done.append(rid)
            for item in output:  # a call first seen in response.done is learned here
                if item["call_id"] not in item_ok:
                    item_ok[item["call_id"]] = status == "completed"
            actions = h.ev(
                "response.done", response={"id": rid, "status": status, "output": output}
            )
        elif kind == "finish":
            actions = h.do(ToolFinished(s[1], "result", s[2], 0.1))
        elif kind == "approve":
            actions = h.do(ToolApproval(s[1], s[2]))
        elif kind == "cancel":
            interrupted = interrupted or h.view.response_active or h.session.response_active
            actions = h.do(CancelRequested())
        elif kind == "text":
            user_turns += 1
            actions = h.do(SendText("hi"))
        else:
            actions = h.advance(s[1])
        for action in actions:
            if isinstance(action, RunTool):
                assert item_ok.get(action.call_id) is True, f"ran {action.call_id} unfinished"
                assert action.call_id not in ran, "ran twice"
                ran.append(action.call_id)
            if isinstance(action, AskApproval):
                assert item_ok.get(action.call_id) is True
                asked.append(action.call_id)
        ids = output_ids(h.actions)
        assert len(ids) == len(set(ids)), "two outputs for one call"
        # response.create for tools: never more than one per completed calling response
        assert creates(h.actions) <= user_turns + len(calling_done)
    # finish everything: answer approvals, let every running call time out
    for cid in asked:
        h.do(ToolApproval(cid, "deny"))
    h.advance(10.0)
    ids = output_ids(h.actions)
    for cid in set(ran) | set(asked):
        assert ids.count(cid) == 1, f"{cid} answered {ids.count(cid)} times"
    for cid in ids:
        assert item_ok.get(cid) is True, f"answered {cid}, which was never completed"
    if user_turns == 0 and not interrupted:
        assert creates(h.actions) <= len(calling_done)
    if user_turns == 0 and not calling_done:
        assert creates(h.actions) == 0
