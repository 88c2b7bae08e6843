"""MCP tool objects as settings: filters, the approval policy, refusals, the redacted echo."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.errors import ProtocolError
from voicechat.server.hosted_mcp.config import (
    ApprovalPolicy,
    McpServerConfig,
    ToolFilter,
    parse_mcp_tools,
    safe_url,
)
from voicechat.server.hosted_mcp.secrets import echoed_session

names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)


def mcp(**fields: Any) -> dict[str, Any]:
    return {
        "type": "mcp",
        "server_label": "tools",
        "server_url": "http://127.0.0.1:9/mcp",
        **fields,
    }


def one(tool: dict[str, Any]) -> McpServerConfig:
    parsed = parse_mcp_tools([tool])
    assert isinstance(parsed, list) and len(parsed) == 1
    return parsed[0]


def test_function_tools_are_not_mcp_servers() -> None:
    function = {"type": "function", "name": "f", "parameters": {"type": "object"}}
    parsed = parse_mcp_tools([function, mcp()])
    assert isinstance(parsed, list) and [s.index for s in parsed] == [1]


def test_defaults_ask_for_approval_and_allow_every_tool() -> None:
    server = one(mcp())
    assert server.approval.required("anything", read_only=True)
    assert server.allows("anything", read_only=False)


def test_require_approval_never_and_object_form() -> None:
    assert not one(mcp(require_approval="never")).approval.required("x", read_only=False)
    policy = one(
        mcp(require_approval={"never": {"tool_names": ["add"]}, "always": {"read_only": False}})
    ).approval
    assert not policy.required("add", read_only=True)
    assert policy.required("add", read_only=False)  # matches both: asks
    assert policy.required("other", read_only=True)  # matches neither: the default


def test_allowed_tools_list_and_filter() -> None:
    listed = one(mcp(allowed_tools=["add", "echo"]))
    assert listed.allows("add", False) and not listed.allows("fail", False)
    read_only = one(mcp(allowed_tools={"read_only": True}))
    assert read_only.allows("add", True) and not read_only.allows("add", False)
    assert one(mcp(allowed_tools={})).allows("anything", False)  # empty filter: no restriction
    assert not one(mcp(allowed_tools=[])).allows("anything", False)


@given(names, st.booleans(), st.frozensets(names, max_size=4), st.sampled_from([None, True, False]))
def test_filter_matches_only_when_every_criterion_holds(
    name: str, read_only: bool, tool_names: frozenset[str], want_read_only: bool | None
) -> None:
    flt = ToolFilter(tool_names, want_read_only)
    expected = name in tool_names and (want_read_only is None or want_read_only == read_only)
    assert flt.matches(name, read_only) is expected
    assert not ToolFilter().matches(name, read_only)


@given(names, st.booleans(), st.frozensets(names, max_size=4), st.frozensets(names, max_size=4))
def test_always_wins_over_never(
    name: str, read_only: bool, always: frozenset[str], never: frozenset[str]
) -> None:
    policy = ApprovalPolicy(True, ToolFilter(always), ToolFilter(never))
    assert policy.required(name, read_only) is (name in always or name not in never)


def test_refusals_name_the_param_and_the_fix() -> None:
    missing = parse_mcp_tools([{"type": "mcp", "server_label": "x"}])
    assert missing == ProtocolError(
        "missing_required_parameter",
        "Missing required parameter: 'session.tools[0].server_url'.",
        "session.tools[0].server_url",
    )
    scheme = parse_mcp_tools([mcp(server_url="ftp://example.com/mcp")])
    assert isinstance(scheme, ProtocolError) and scheme.param == "session.tools[0].server_url"
    assert "http://" in scheme.message
    duplicate = parse_mcp_tools([mcp(), mcp()])
    assert isinstance(duplicate, ProtocolError)
    assert duplicate.param == "session.tools[1].server_label"
    assert "its own label" in duplicate.message


def test_connectors_pass_parsing() -> None:
    server = one({"type": "mcp", "server_label": "mail", "connector_id": "connector_gmail"})
    assert server.connector_id == "connector_gmail" and server.server_url is None


def test_credentials_make_the_request_headers_and_stay_out_of_repr() -> None:
    server = one(mcp(headers={"X-Key": "hdr-secret", "Authorization": "x"}, authorization="tok"))
    assert server.request_headers() == {"X-Key": "hdr-secret", "Authorization": "Bearer tok"}
    assert "hdr-secret" not in repr(server) and "tok'" not in repr(server)
    assert set(server.secrets) == {"hdr-secret", "tok"}


def test_safe_url_drops_user_info_query_and_fragment() -> None:
    assert (
        safe_url("https://u:pw@host.example:8443/mcp?api_key=k#f")
        == "https://host.example:8443/mcp"
    )


def test_the_echo_carries_no_credential() -> None:
    session = {
        "type": "realtime",
        "tools": [
            {"type": "function", "name": "f"},
            mcp(headers={"X-Key": "hdr-secret"}, authorization="tok-secret"),
        ],
    }
    shown = echoed_session(session)
    assert shown["tools"][0] == {"type": "function", "name": "f"}
    assert shown["tools"][1]["headers"] == {"X-Key": "[redacted]"}
    assert "authorization" not in shown["tools"][1]
    assert session["tools"][1]["authorization"] == "tok-secret"  # the original is kept
