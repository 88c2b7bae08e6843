"""Every MCP item and event builder against the official SDK's GA models, strictly (no key the
model does not declare), and the output bound as a property."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.server.sdk_models import problems
from voicechat.protocol.dialect import Dialect
from voicechat.server.hosted_mcp import items
from voicechat.server.hosted_mcp.client import ListedTool, McpFailure
from voicechat.server.hosted_mcp.outputs import bounded, result_text, truncation_note

ADD = ListedTool("add", {"type": "object", "properties": {}}, "Add.", {"readOnlyHint": True})
BARE = ListedTool("raw", {"type": "object"})


def event(body: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": "event_1", **body}


def item_events(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event({"type": "conversation.item.added", "previous_item_id": None, "item": item}),
        event({"type": "conversation.item.done", "previous_item_id": None, "item": item}),
        event({"type": "conversation.item.retrieved", "item": item}),
        event(
            {
                "type": "response.output_item.added",
                "response_id": "resp_1",
                "output_index": 0,
                "item": item,
            }
        ),
        event(
            {
                "type": "response.output_item.done",
                "response_id": "resp_1",
                "output_index": 0,
                "item": item,
            }
        ),
    ]


def assert_valid(events: list[dict[str, Any]]) -> None:
    for one in events:
        assert problems(one, Dialect.GA) == [], one


def test_list_tools_item_and_events() -> None:
    item = items.list_tools_item("item_1", "tools", [ADD, BARE])
    assert item["tools"][0]["annotations"] == {"read_only": True}
    assert item["tools"][1]["annotations"] is None
    assert_valid(item_events(item)[:3])
    assert_valid(
        [event(items.list_tools_event(s, "item_1")) for s in ("in_progress", "completed", "failed")]
    )


def test_approval_request_item() -> None:
    assert_valid(item_events(items.approval_request_item("item_2", "tools", "add", '{"a":1}')))


def test_call_items_in_progress_done_and_failed() -> None:
    running = items.call_item("item_3", "tools", "add", '{"a":1}')
    done = items.call_item(
        "item_3", "tools", "add", '{"a":1}', approval_request_id="item_2", output="2"
    )
    errors = [
        McpFailure("protocol_error", "timed out", -32001),
        McpFailure("tool_execution_error", "boom"),
        McpFailure("http_error", "HTTP 401", 401),
    ]
    failed = [items.call_item("item_3", "tools", "add", "{}", error=f.item_error()) for f in errors]
    for item in (running, done, *failed):
        assert_valid(item_events(item))


def test_call_events() -> None:
    assert_valid(
        [
            event(items.call_arguments_delta("resp_1", "item_3", 0, '{"a":', "abcdefghijk")),
            event(items.call_arguments_done("resp_1", "item_3", 0, '{"a":1}')),
            *(
                event(items.call_event(s, "item_3", 0))
                for s in ("in_progress", "completed", "failed")
            ),
        ]
    )


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_bounded_keeps_the_start_and_says_how_much_was_cut(text: str, cap: int) -> None:
    out = bounded(text, cap)
    if len(text) <= cap:
        assert out == text
    else:
        assert out == text[:cap] + truncation_note(len(text), cap)
        assert len(out) <= cap + len(truncation_note(len(text), cap))


def test_result_text_joins_text_and_describes_the_rest() -> None:
    result = SimpleNamespace(
        content=[
            SimpleNamespace(type="text", text="one"),
            SimpleNamespace(type="image", mime_type="image/png", data="AAAA"),
            SimpleNamespace(type="text", text="two"),
        ],
        structured_content={"ignored": True},
    )
    assert (
        result_text(result, 1000) == "one\n[image image/png: 4 characters of base64 not shown]\ntwo"
    )
    structured = SimpleNamespace(content=[], structured_content={"result": 5})
    assert result_text(structured, 1000) == '{"result": 5}'


def test_a_cancelled_call_closes_with_failed_and_says_why() -> None:
    from voicechat.server.hosted_mcp.output_items import McpApprovalRequestItem, McpCallItem

    call = McpCallItem(index=1, server_label="tools", name="add", arguments='{"a":')
    closing = call.closing_events("resp_1")
    assert [e["type"] for e in closing] == [
        "response.mcp_call_arguments.done",
        "response.mcp_call.failed",
    ]
    obj = call.obj("incomplete")
    assert obj["error"]["code"] == -32800 and obj["output"] is None
    assert call.closing_events("resp_1") == []  # nothing twice
    request = McpApprovalRequestItem(index=0, server_label="tools", name="add", arguments="{}")
    assert request.closing_events("resp_1") == []
    assert_valid([*map(event, closing), *item_events(obj), *item_events(request.obj("completed"))])


def test_call_arguments_must_be_a_json_object() -> None:
    from voicechat.server.hosted_mcp.producer import parse_arguments

    assert parse_arguments('{"a": 1}') == {"a": 1}
    assert parse_arguments("  ") == {}
    assert str(parse_arguments('{"a": ')).startswith("invalid JSON")
    assert parse_arguments("[1, 2]") == "a JSON list, not an object"
