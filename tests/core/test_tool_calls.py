"""The tool loop in the session core: run completed calls, answer each once, reply once."""

from __future__ import annotations

import json
from typing import Any

from tests.core.harness import Harness, sends, sent_types
from voicechat.core import (
    AskApproval,
    CancelRequested,
    CancelTool,
    Notice,
    RunTool,
    SendText,
    SetTools,
    ToolApproval,
    ToolFinished,
    ToolRecord,
    ToolSpec,
)

ADD = ToolSpec(
    "add",
    "add two numbers",
    {"type": "object", "properties": {"a": {"type": "number"}}},
    approval="auto",
    timeout_s=5.0,
    source="mcp:calc",
)


def call_item(
    call_id: str = "call_1",
    name: str = "add",
    args: str = '{"a": 1}',
    status: str = "completed",
    item_id: str = "item_f1",
) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": args,
        "status": status,
    }


def calling_response(
    h: Harness,
    rid: str = "resp_1",
    calls: list[dict[str, Any]] | None = None,
    status: str = "completed",
    done: bool = True,
) -> None:
    """A response that calls the given tools (added → done for each item), then ends."""
    calls = calls if calls is not None else [call_item()]
    h.ev("response.created", response={"id": rid, "status": "in_progress", "output": []})
    for index, item in enumerate(calls):
        h.ev(
            "response.output_item.added",
            response_id=rid,
            output_index=index,
            item={**item, "status": "in_progress", "arguments": ""},
        )
        h.ev("response.output_item.done", response_id=rid, output_index=index, item=item)
    if done:
        h.ev("response.done", response={"id": rid, "status": status, "output": calls})


def runs(h: Harness) -> list[RunTool]:
    return [a for a in h.actions if isinstance(a, RunTool)]


def outputs(h: Harness) -> list[dict[str, Any]]:
    return [
        e["item"]
        for e in sends(h.actions)
        if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"
    ]


def records(h: Harness, kind: str) -> list[dict[str, Any]]:
    return [a.event for a in h.actions if isinstance(a, ToolRecord) and a.event["type"] == kind]


def started(**policy: Any) -> Harness:
    h = Harness(tools=(ADD,), **policy)
    h.start()
    return h


def test_first_session_update_declares_the_function_tools() -> None:
    h = Harness(
        tools=(ADD,),
        session_overrides={
            "tools": [
                {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp"}
            ]
        },
    )
    update = sends(h.start())[0]
    assert [t["type"] for t in update["session"]["tools"]] == ["mcp", "function"]
    assert update["session"]["tools"][1] == {
        "type": "function",
        "name": "add",
        "description": "add two numbers",
        "parameters": ADD.parameters,
    }


def test_a_completed_call_runs_once_and_the_reply_follows_done_and_output() -> None:
    h = started()
    calling_response(h, done=False)
    assert [(r.call_id, r.name, r.arguments) for r in runs(h)] == [("call_1", "add", {"a": 1})]
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": [call_item()]})
    assert "response.create" not in sent_types(h.actions)  # the output is not there yet
    h.now = 0.5
    h.do(ToolFinished("call_1", "2", True, 0.5))
    assert outputs(h) == [{"type": "function_call_output", "call_id": "call_1", "output": "2"}]
    assert sent_types(h.actions).count("response.create") == 1
    finished = records(h, "local.tool.finished")
    assert finished[0]["outcome"] == "ok" and finished[0]["duration_ms"] == 500
    assert h.view.tool_calls[0].status == "done"


def test_output_before_response_done_waits_for_done() -> None:
    h = started()
    calling_response(h, done=False)
    h.do(ToolFinished("call_1", "2", True, 0.1))
    assert len(outputs(h)) == 1 and "response.create" not in sent_types(h.actions)
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": [call_item()]})
    assert sent_types(h.actions).count("response.create") == 1


def test_calls_of_one_response_run_together_and_one_reply_follows_all() -> None:
    h = started()
    calling_response(
        h, calls=[call_item("call_1", item_id="i1"), call_item("call_2", item_id="i2")]
    )
    assert [r.call_id for r in runs(h)] == ["call_1", "call_2"]
    h.do(ToolFinished("call_2", "b", True, 0.1))
    assert "response.create" not in sent_types(h.actions)
    h.do(ToolFinished("call_1", "a", True, 0.1))
    assert sent_types(h.actions).count("response.create") == 1


def test_an_incomplete_item_or_cancelled_response_is_never_run() -> None:
    h = started()
    calling_response(h, calls=[call_item(status="incomplete")], status="cancelled")
    assert runs(h) == [] and outputs(h) == []
    assert h.view.tool_calls[0].status == "skipped"
    assert "response.create" not in sent_types(h.actions)


def test_a_call_first_seen_in_a_cancelled_response_done_is_skipped() -> None:
    h = started()
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    h.ev("response.done", response={"id": "resp_1", "status": "cancelled", "output": [call_item()]})
    assert runs(h) == [] and outputs(h) == []


def test_a_completed_call_known_only_from_response_done_runs() -> None:
    h = started()
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": [call_item()]})
    assert [r.call_id for r in runs(h)] == ["call_1"]


def test_barge_in_during_a_running_tool_sends_the_output_but_no_reply() -> None:
    h = started()
    calling_response(h, done=False)
    h.do(CancelRequested())  # the cancel key while the response is active
    h.ev("response.done", response={"id": "resp_1", "status": "cancelled", "output": [call_item()]})
    h.do(ToolFinished("call_1", "2", True, 0.1))
    assert len(outputs(h)) == 1
    assert "response.create" not in sent_types(h.actions)


def test_the_users_turn_while_a_tool_runs_leads() -> None:
    h = started()
    calling_response(h)
    h.ev("response.created", response={"id": "resp_2", "status": "in_progress", "output": []})
    h.ev("response.done", response={"id": "resp_2", "status": "completed", "output": []})
    h.do(ToolFinished("call_1", "2", True, 0.1))
    assert len(outputs(h)) == 1
    assert "response.create" not in sent_types(h.actions)


def test_typed_text_while_a_tool_runs_leads_too() -> None:
    h = started()
    calling_response(h)
    h.do(SendText("never mind"))
    h.ev("response.created", response={"id": "resp_2", "status": "in_progress", "output": []})
    h.do(ToolFinished("call_1", "2", True, 0.1))
    assert sent_types(h.actions).count("response.create") == 1  # the typed message's only


def test_a_repeated_call_id_runs_once_and_a_second_result_is_ignored() -> None:
    h = started()
    calling_response(h)
    h.ev("response.output_item.done", response_id="resp_1", output_index=0, item=call_item())
    assert len(runs(h)) == 1
    h.do(ToolFinished("call_1", "2", True, 0.1))
    h.do(ToolFinished("call_1", "3", True, 0.1))
    assert [o["output"] for o in outputs(h)] == ["2"]
    assert sent_types(h.actions).count("response.create") == 1


def test_unknown_tool_and_bad_arguments_are_answered_not_run() -> None:
    h = started()
    calling_response(
        h,
        calls=[
            call_item("call_1", name="nope", item_id="i1"),
            call_item("call_2", args="{not json", item_id="i2"),
            call_item("call_3", args="[1, 2]", item_id="i3"),
        ],
    )
    assert runs(h) == []
    texts = [o["output"] for o in outputs(h)]
    assert "no tool named 'nope'" in texts[0] and "available: add" in texts[0]
    assert "not a JSON object" in texts[1] and "not a JSON object" in texts[2]
    assert sent_types(h.actions).count("response.create") == 1


def test_a_timeout_becomes_an_output_and_cancels_the_run() -> None:
    h = started()
    calling_response(h)
    h.advance(5.1)
    assert [a.call_id for a in h.actions if isinstance(a, CancelTool)] == ["call_1"]
    assert "did not finish within 5 s" in outputs(h)[0]["output"]
    assert sent_types(h.actions).count("response.create") == 1
    h.do(ToolFinished("call_1", "late", True, 6.0))
    assert len(outputs(h)) == 1


def test_a_failure_becomes_an_output_that_says_so() -> None:
    h = started()
    calling_response(h)
    h.do(ToolFinished("call_1", "error: boom", False, 0.1))
    assert outputs(h)[0]["output"] == "error: boom"
    assert records(h, "local.tool.finished")[0]["outcome"] == "error"
    assert h.view.tool_calls[0].status == "failed"


def test_a_huge_output_is_capped_with_a_note() -> None:
    h = started()
    calling_response(h)
    h.do(ToolFinished("call_1", "x" * 100_000, True, 0.1))
    text = outputs(h)[0]["output"]
    assert len(text) < 17_000 and "output truncated" in text
    assert records(h, "local.tool.finished")[0]["truncated"] is True


def test_ask_waits_for_the_user_and_always_is_remembered() -> None:
    spec = ToolSpec("add", parameters={"type": "object", "properties": {}}, approval="ask")
    h = Harness(tools=(spec,))
    h.start()
    calling_response(h)
    asked = [a for a in h.actions if isinstance(a, AskApproval)]
    assert [(a.call_id, a.name, a.arguments) for a in asked] == [("call_1", "add", '{"a": 1}')]
    assert runs(h) == [] and h.view.tool_calls[0].status == "awaiting_approval"
    h.do(ToolApproval("call_1", "always"))
    assert [r.call_id for r in runs(h)] == ["call_1"]
    h.do(ToolFinished("call_1", "2", True, 0.1))
    calling_response(h, rid="resp_3", calls=[call_item("call_9", item_id="i9")])
    assert [r.call_id for r in runs(h)] == ["call_1", "call_9"]  # not asked again


def test_deny_tells_the_model_and_still_replies() -> None:
    spec = ToolSpec("add", approval="ask")
    h = Harness(tools=(spec,))
    h.start()
    calling_response(h)
    h.do(ToolApproval("call_1", "deny"))
    assert runs(h) == []
    assert outputs(h)[0]["output"].startswith("denied:")
    assert records(h, "local.tool.denied")[0]["by"] == "user"
    assert sent_types(h.actions).count("response.create") == 1


def test_policy_deny_answers_at_once() -> None:
    h = Harness(tools=(ToolSpec("add", approval="deny"),))
    h.start()
    calling_response(h)
    assert "tool_approval policy is deny" in outputs(h)[0]["output"]


def test_set_tools_declares_the_new_list_and_keeps_hosted_tools() -> None:
    hosted = {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp"}
    h = Harness(session_overrides={"tools": [hosted]})
    h.start()
    h.do(SetTools((ADD,)))
    update = sends(h.actions)[-1]
    assert update["type"] == "session.update"
    assert update["session"]["tools"][0] == hosted
    assert update["session"]["tools"][1]["name"] == "add"
    calling_response(h)
    assert len(runs(h)) == 1
    h.do(SetTools((ToolSpec("other"),)))  # "add" went away: it leaves the list
    assert [t.get("name", t["type"]) for t in sends(h.actions)[-1]["session"]["tools"]] == [
        "mcp",
        "other",
    ]


def test_hosted_mcp_approval_request_is_answered_and_the_model_asked_to_go_on() -> None:
    h = Harness(mcp_approval="ask")
    h.start()
    request = {
        "id": "mcpr_1",
        "type": "mcp_approval_request",
        "server_label": "docs",
        "name": "search",
        "arguments": '{"q": "x"}',
    }
    h.ev("response.created", response={"id": "resp_1", "status": "in_progress", "output": []})
    h.ev("response.output_item.done", response_id="resp_1", output_index=0, item=request)
    h.ev("response.done", response={"id": "resp_1", "status": "completed", "output": [request]})
    asked = [a for a in h.actions if isinstance(a, AskApproval)]
    assert asked[0].kind == "mcp" and asked[0].source == "mcp:docs"
    h.do(ToolApproval("mcpr_1", "once"))
    items = [e["item"] for e in sends(h.actions) if e["type"] == "conversation.item.create"]
    assert items == [
        {
            "type": "mcp_approval_response",
            "id": "vc_mcpa_1",
            "approval_request_id": "mcpr_1",
            "approve": True,
        }
    ]
    assert sent_types(h.actions).count("response.create") == 1
    # F8: after the hosted call the model waits; one response.create asks it to go on
    h.ev("response.created", response={"id": "resp_2", "status": "in_progress", "output": []})
    mcp_call = {
        "id": "mc_1",
        "type": "mcp_call",
        "server_label": "docs",
        "name": "search",
        "arguments": "{}",
        "output": "found",
        "status": "completed",
    }
    h.ev("response.done", response={"id": "resp_2", "status": "completed", "output": [mcp_call]})
    assert sent_types(h.actions).count("response.create") == 2


def test_results_for_unknown_calls_are_a_notice_not_a_crash() -> None:
    h = started()
    h.do(ToolFinished("call_x", "?", True, 0.1))
    h.do(ToolApproval("call_x", "once"))
    assert [a for a in h.actions if isinstance(a, Notice)]
    assert outputs(h) == []


def test_function_call_arguments_json_is_parsed_into_a_dict() -> None:
    h = started()
    calling_response(h, calls=[call_item(args=json.dumps({"a": 2, "b": [1]}))])
    assert runs(h)[0].arguments == {"a": 2, "b": [1]}


def test_a_server_that_is_the_agent_gets_no_session_update_and_no_tool_answers() -> None:
    """``send_session=False`` (``voicechat test``'s ``agent: server``, issue 79): the server
    keeps its own session, and a call it makes is its own tool's: recorded, never answered
    and never followed by a reply, which would be a second, wrong answer."""
    h = Harness(send_session=False)
    assert sends(h.start()) == []
    h.ev("session.updated", session={"type": "realtime", "instructions": "Book tables.",
                                     "tools": [{"type": "function", "name": "check_table"}]})
    calling_response(h, calls=[call_item(name="check_table")])
    assert runs(h) == [] and outputs(h) == []
    assert "response.create" not in sent_types(h.actions)
    assert [r["reason"] for r in records(h, "local.tool.skipped")] == [
        "the agent's server runs its own tools"]
    # nothing was asked, so the server's own session is no "difference" to warn of
    assert [a for a in h.actions if isinstance(a, Notice) and a.level == "warning"] == []
