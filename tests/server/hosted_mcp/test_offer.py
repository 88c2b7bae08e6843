"""Listed MCP tools as functions: names, schemas, which servers a response gets, forced choice."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.server.hosted_mcp.client import ListedTool
from voicechat.server.hosted_mcp.config import ApprovalPolicy, McpServerConfig
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.listing import McpServers
from voicechat.server.hosted_mcp.offer import McpToolSource, label_of, offered_name, parameters_of
from voicechat.server.voice.tools import FunctionTool, ToolOffer

FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
mcp_names = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=128)


@given(
    st.text(alphabet="ab_-.", min_size=1, max_size=40), mcp_names, st.sets(mcp_names, max_size=5)
)
def test_offered_names_fit_the_function_alphabet_and_are_new(
    label: str, name: str, taken: set[str]
) -> None:
    offered = offered_name(label, name, taken)
    assert FUNCTION_NAME.match(offered)
    assert offered not in taken
    if FUNCTION_NAME.match(name) and name not in taken:
        assert offered == name


def test_schemas_get_properties() -> None:
    assert parameters_of({"type": "object"}) == {"type": "object", "properties": {}}
    kept = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert parameters_of(kept) == kept


def source_with(*servers: tuple[str, list[str]]) -> McpToolSource:
    """A source over servers already listed (label, tool names)."""
    listing = McpServers(
        emit=lambda e: None,
        begin_item=lambda i: None,
        finish_item=lambda i: None,
        error=lambda e: None,
        limits=McpLimits(),
    )
    for index, (label, names) in enumerate(servers):
        config = McpServerConfig(
            label, index, f"http://127.0.0.1:9/{label}", approval=ApprovalPolicy(False)
        )
        listing.servers[label] = config
        listing._listed[label] = [ListedTool(n, {"type": "object"}, f"{n} tool") for n in names]
    return McpToolSource(listing)


def offer_of(
    source: McpToolSource, params: dict[str, Any], *functions: str, choice: Any = "auto"
) -> ToolOffer:
    return source(ToolOffer(tuple(FunctionTool(f) for f in functions), choice), params)


def test_mcp_tools_follow_the_functions_with_unique_names() -> None:
    source = source_with(("a", ["add", "x.y"]), ("b", ["add"]))
    offer = offer_of(source, {}, "add")
    assert [(t.name, t.origin) for t in offer.tools] == [
        ("add", "function"),
        ("a__add", "mcp:a"),
        ("a__x_y", "mcp:a"),
        ("b__add", "mcp:b"),
    ]
    assert label_of(offer.tools[1]) == "a" and label_of(offer.tools[0]) is None
    resolved = source.resolve(offer, "b__add")
    assert resolved is not None and (resolved.server.server_label, resolved.tool.name) == (
        "b",
        "add",
    )
    assert source.resolve(offer, "add") is None  # the function tool is the client's
    assert source.resolve(offer, "nothing") is None


def test_a_response_with_its_own_tools_gets_only_the_servers_it_names() -> None:
    source = source_with(("a", ["one"]), ("b", ["two"]))
    names = [
        t.name for t in offer_of(source, {"tools": [{"type": "mcp", "server_label": "b"}]}).tools
    ]
    assert names == ["two"]
    assert offer_of(source, {"tools": []}).tools == ()


def test_tool_choice_mcp_forces_the_tool_as_a_function() -> None:
    source = source_with(("a", ["one", "two"]))
    offer = offer_of(source, {}, choice={"type": "mcp", "server_label": "a", "name": "two"})
    assert offer.forced_name == "two" and offer.call_required
    any_of_server = offer_of(source, {}, choice={"type": "mcp", "server_label": "a"})
    assert any_of_server.forced_name == "one"
