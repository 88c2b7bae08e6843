"""The tool box over real sources: what the model is offered, with whose approval, and the
catalog ``voicechat tools`` shows without a conversation."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.commands.test_headless_tools import MCP_SERVER
from voicechat.runtime.tools.sources import CommandToolConfig, McpServerConfig, ToolConfig
from voicechat.runtime.tools.toolbox import catalog_for


def server(name: str, *args: str, **fields: object) -> McpServerConfig:
    return McpServerConfig(
        name, f"test {name}", command=sys.executable, args=(str(MCP_SERVER), *args), **fields
    )  # type: ignore[arg-type]


async def test_catalog_names_sources_approvals_and_failures(tmp_path: Path) -> None:
    config = ToolConfig(
        approval="ask",
        servers=[
            server("calc", approval="auto", approvals={"crash": "deny"}),
            server("broken", "broken-start"),
        ],
        commands=[CommandToolConfig("add", "test add", ("cat",), approval="deny")],
    )
    entries, servers, problems = await catalog_for(config, tmp_path)
    by_name = {e.name: e for e in entries}
    assert by_name["get_weather"].source == "mcp:calc"
    assert by_name["get_weather"].approval == "auto"  # the server's policy
    assert by_name["crash"].approval == "deny"  # the per-tool override
    assert by_name["dotted_name"].original == "dotted.name"
    assert by_name["cmd_add"].original == "add" and by_name["cmd_add"].approval == "deny"
    assert by_name["add"].source == "mcp:calc"  # the first owner keeps the name
    assert [(s.name, s.state) for s in servers] == [("calc", "ready"), ("broken", "failed")]
    assert servers[1].log == tmp_path / "mcp-broken.log"
    assert any("'broken'" in p and "is not available" in p for p in problems)
    assert any("renamed from 'dotted.name'" in p for p in problems)


async def test_a_noisy_servers_stderr_goes_to_its_log_file(tmp_path: Path, capfd: object) -> None:
    entries, servers, _ = await catalog_for(
        ToolConfig(servers=[server("noisy", "noisy")]), tmp_path
    )
    assert servers[0].state == "ready" and entries
    assert "NOISY-STDERR-LINE" in (tmp_path / "mcp-noisy.log").read_text()
    out, err = capfd.readouterr()  # type: ignore[attr-defined]
    assert "NOISY-STDERR-LINE" not in out + err  # never on the terminal


async def test_an_http_server_that_is_not_there_never_repeats_its_secrets(tmp_path: Path) -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    config = ToolConfig(
        servers=[
            McpServerConfig(
                "remote",
                "test remote",
                url=f"http://127.0.0.1:9/mcp?token={secret}",
                headers={"Authorization": f"Bearer {secret}", "X-Key": "hunter2-value"},
            )
        ]
    )
    _, servers, problems = await catalog_for(config, tmp_path)
    assert servers[0].state == "failed"
    text = " ".join(problems) + (servers[0].error or "")
    assert "'remote'" in text
    assert secret not in text and "hunter2-value" not in text


async def test_a_canned_result_is_sent_for_every_call_and_nothing_runs(tmp_path: Path) -> None:
    """``result`` instead of ``command`` (voicechat test's mocked tools): the output is the
    value (a table as its JSON), the source says so, and a table with both or neither is left
    out with the fix."""
    from voicechat.config import Settings
    from voicechat.runtime.tools.sources import tool_config
    from voicechat.runtime.tools.toolbox import ToolBox

    settings = Settings(tools={
        "get_weather": {"result": {"sky": "sunny", "temp_c": 21},
                        "parameters": {"type": "object", "properties": {}}},
        "both": {"result": "x", "command": ["date"]},
        "neither": {"description": "nothing to do"},
    })
    config = tool_config(settings)
    assert [c.name for c in config.commands] == ["get_weather"]
    assert sum("give exactly one of command" in p for p in config.problems) == 2
    box = ToolBox(config, tmp_path)
    try:
        await box.start()
        [entry] = box.catalog()
        assert entry.name == "get_weather" and entry.source == "result"
        assert not [p for p in box.problems if "get_weather" in p]  # no program to look for
        for arguments in ({}, {"city": "Paris"}):
            output, ok = await box.run("get_weather", arguments, 5.0)
            assert ok and output == '{"sky": "sunny", "temp_c": 21}'
    finally:
        await box.close()
