"""The MCP client against real MCP servers (the ``mcp`` SDK's MCPServer in a child process)
and sockets that refuse or hang: every outcome is a result or an MCP error object."""

from __future__ import annotations

from tests.server.hosted_mcp.conftest import McpProcess
from voicechat.server.hosted_mcp.client import (
    CONNECTION_CLOSED,
    REQUEST_TIMEOUT,
    McpFailure,
    call_tool,
    list_tools,
)
from voicechat.server.hosted_mcp.config import McpServerConfig
from voicechat.server.hosted_mcp.limits import McpLimits
from voicechat.server.hosted_mcp.outputs import truncation_note

LIMITS = McpLimits(list_timeout_s=20, call_timeout_s=20)


def config(url: str, **extra: object) -> McpServerConfig:
    return McpServerConfig(server_label="tools", index=0, server_url=url, **extra)  # type: ignore[arg-type]


async def listing_failure(cfg: McpServerConfig, limits: McpLimits = LIMITS) -> McpFailure:
    try:
        tools = await list_tools(cfg, limits)
    except McpFailure as failure:
        return failure
    raise AssertionError(f"listing succeeded: {tools}")


async def test_lists_every_tool_with_schema_and_annotations(mcp_server: McpProcess) -> None:
    tools = {t.name: t for t in await list_tools(config(mcp_server.url), LIMITS)}
    assert set(tools) >= {"add", "echo", "fail", "big", "sleep_forever", "crash"}
    add = tools["add"]
    assert add.description == "Add two integers."
    assert add.input_schema["properties"]["a"]["type"] == "integer"
    assert add.read_only is True
    assert tools["delete_everything"].read_only is False
    assert tools["fail"].annotations is None


async def test_call_returns_the_text_output(mcp_server: McpProcess) -> None:
    result = await call_tool(config(mcp_server.url), "add", {"a": 2, "b": 3}, LIMITS)
    assert (result.output, result.error) == ("5", None)


async def test_a_tool_that_raises_is_a_tool_execution_error(mcp_server: McpProcess) -> None:
    result = await call_tool(config(mcp_server.url), "fail", {"reason": "disk full"}, LIMITS)
    assert result.output is None and result.error is not None
    assert result.error.item_error() == {
        "type": "tool_execution_error",
        "message": "Error executing tool fail",  # the SDK hides the exception's own text
    }


async def test_an_unknown_tool_is_a_tool_execution_error(mcp_server: McpProcess) -> None:
    result = await call_tool(config(mcp_server.url), "nope", {}, LIMITS)
    assert result.error is not None and result.error.kind == "tool_execution_error"
    assert "Unknown tool: nope" in result.error.message


async def test_a_5_mb_output_is_cut_to_the_cap_and_says_so(mcp_server: McpProcess) -> None:
    limits = McpLimits(call_timeout_s=30, output_max_chars=100_000)
    result = await call_tool(config(mcp_server.url), "big", {"megabytes": 5}, limits)
    assert result.error is None and result.output is not None
    total = 5 * 1024 * 1024
    assert result.output == "x" * 100_000 + truncation_note(total, 100_000)


async def test_an_answer_over_the_transport_cap_is_a_protocol_error(mcp_server: McpProcess) -> None:
    limits = McpLimits(call_timeout_s=30, answer_max_bytes=1024 * 1024)
    result = await call_tool(config(mcp_server.url), "big", {"megabytes": 2}, limits)
    assert result.output is None and result.error is not None
    assert result.error.kind == "protocol_error"
    assert "'tools'" in result.error.message


async def test_a_hanging_tool_times_out(mcp_server: McpProcess) -> None:
    limits = McpLimits(call_timeout_s=1)
    result = await call_tool(config(mcp_server.url), "sleep_forever", {}, limits)
    assert result.error is not None
    assert (result.error.kind, result.error.code) == ("protocol_error", REQUEST_TIMEOUT)
    assert "'tools'" in result.error.message and "1 s" in result.error.message


async def test_a_server_crashing_mid_call_is_a_protocol_error(fresh_mcp_server: McpProcess) -> None:
    result = await call_tool(config(fresh_mcp_server.url), "crash", {}, LIMITS)
    assert fresh_mcp_server.process.wait(10) == 3  # it really died
    assert result.error is not None
    assert (result.error.kind, result.error.code) == ("protocol_error", CONNECTION_CLOSED)
    assert "did it crash?" in result.error.message
    after = await call_tool(config(fresh_mcp_server.url), "add", {"a": 1, "b": 1}, LIMITS)
    assert after.error is not None and "cannot connect" in after.error.message


async def test_a_refused_connection_names_the_server(refused_url: str) -> None:
    failure = await listing_failure(config(refused_url))
    assert (failure.kind, failure.code) == ("protocol_error", CONNECTION_CLOSED)
    assert failure.message.startswith(f"MCP server 'tools' ({refused_url}) could not list")
    assert "cannot connect" in failure.message and "server_url" in failure.message


async def test_a_server_that_never_answers_times_out(hanging_url: str) -> None:
    failure = await listing_failure(config(hanging_url), McpLimits(list_timeout_s=1))
    assert (failure.kind, failure.code) == ("protocol_error", REQUEST_TIMEOUT)
    assert "did not list its tools within 1 s" in failure.message


async def test_a_server_crashing_on_list_is_a_protocol_error() -> None:
    from tests.server.hosted_mcp.conftest import start_mcp_server, stop

    server = start_mcp_server("--crash-on-list")
    try:
        failure = await listing_failure(config(server.url))
        assert server.process.wait(10) == 4
    finally:
        stop(server)
    assert failure.kind == "protocol_error"


async def test_401_without_credentials_is_an_http_error(token_mcp_server: McpProcess) -> None:
    failure = await listing_failure(config(token_mcp_server.url))
    assert (failure.kind, failure.code) == ("http_error", 401)
    assert "HTTP 401" in failure.message and "authorization or headers" in failure.message


async def test_credentials_reach_the_server_and_no_message(token_mcp_server: McpProcess) -> None:
    good = config(
        token_mcp_server.url,
        authorization="s3cret-token-value",
        headers={"X-Api-Key": "k3y-header-value"},
    )
    assert any(t.name == "add" for t in await list_tools(good, LIMITS))
    wrong = config(
        token_mcp_server.url,
        authorization="wr0ng-token-value",
        headers={"X-Api-Key": "k3y-header-value"},
    )
    failure = await listing_failure(wrong)
    assert failure.code == 401
    for secret in ("wr0ng-token-value", "k3y-header-value", "s3cret-token-value"):
        assert secret not in failure.message


async def test_json_answers_work_too() -> None:
    from tests.server.hosted_mcp.conftest import start_mcp_server, stop

    server = start_mcp_server("--json")
    try:
        result = await call_tool(config(server.url), "echo", {"text": "hi"}, LIMITS)
    finally:
        stop(server)
    assert result.output == "hi"


async def test_a_connector_cannot_be_reached_locally() -> None:
    cfg = McpServerConfig(server_label="mail", index=2, connector_id="connector_gmail")
    failure = await listing_failure(cfg)
    assert "connector_gmail" in failure.message and "server_url" in failure.message


async def test_a_json_answer_over_the_cap_is_a_protocol_error() -> None:
    """JSON answers are read whole by the SDK: the transport's own cap bounds them."""
    from tests.server.hosted_mcp.conftest import start_mcp_server, stop

    server = start_mcp_server("--json")
    limits = McpLimits(call_timeout_s=30, answer_max_bytes=1024 * 1024)
    try:
        result = await call_tool(config(server.url), "big", {"megabytes": 2}, limits)
        small = await call_tool(config(server.url), "echo", {"text": "hi"}, limits)
    finally:
        stop(server)
    assert result.output is None and result.error is not None
    assert result.error.kind == "protocol_error"
    assert "passed 1048576 bytes" in result.error.message
    assert small.output == "hi"
