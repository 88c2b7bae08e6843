"""``voicechat tools`` as a user runs it: a real process, real MCP servers, a real config file.

The configuration holds what people get wrong: a good stdio MCP server (the SDK's
``MCPServer``), one that dies before its handshake, one whose program does not exist, a command
tool whose schema the API would refuse (an array without ``items``) and whose name another
tool already has, and a hosted MCP server. Nothing else starts: no conversation, no server of
ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.commands.test_headless_tools import MCP_SERVER

CONFIG = """
[voicechat.tools.add]
command = ["cat"]
description = "Adds numbers (clashes with the MCP server's add)"
parameters = {type = "object", properties = {nums = {type = "array"}}}
tool_approval = "deny"

[[voicechat.session.tools]]
type = "mcp"
server_label = "deepwiki"
server_url = "https://mcp.deepwiki.com/mcp"
require_approval = "always"
allowed_tools = ["ask_question"]
"""


def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    servers = {"mcpServers": {
        "calc": {"command": sys.executable, "args": [str(MCP_SERVER)]},
        "broken": {"command": sys.executable, "args": [str(MCP_SERVER), "broken-start"]},
        "ghost": {"command": "no-such-program-for-voicechat"},
    }}
    mcp_json = tmp_path / "servers.json"
    mcp_json.write_text(json.dumps(servers))
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("VOICECHAT_TOOL_APPROVAL", None)
    return mcp_json, config, env


def voicechat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicechat", "tools", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_listing_names_sources_approvals_fixes_and_failures(tmp_path: Path) -> None:
    mcp_json, config, env = setup(tmp_path)
    out = voicechat("--config", str(config), "--mcp-config", str(mcp_json),
                    "--tool-approval", "auto", env=env)
    assert out.returncode == 1, out  # two servers are not available
    text = out.stdout
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert rows["calc"].split()[1:3] == ["ready", "9"]
    assert "FAILED" in rows["broken"] and "this server is broken on purpose" in rows["broken"]
    assert "FAILED" in rows["ghost"] and "no-such-program-for-voicechat" in rows["ghost"]
    assert rows["get_weather"].split()[1:5] == ["MCP", "server", "calc", "auto"]
    # the clash: the MCP tool keeps the name, the command tool is renamed, and its schema fixed
    assert rows["add"].split()[1:5] == ["MCP", "server", "calc", "auto"]
    assert rows["cmd_add"].split()[1:3] == ["command", "deny"]
    assert "renamed from 'add'" in rows["cmd_add"]
    assert "array without items" in rows["cmd_add"]
    assert "renamed from 'dotted.name'" in rows["dotted_name"]
    assert "deepwiki" in rows and "ask_question" in rows["deepwiki"]
    assert "Not available" in text
    assert "stopped" not in out.stderr and "Traceback" not in out.stderr + text
    assert "broken on purpose" not in out.stderr  # a server's stderr never reaches the terminal


def test_json_has_the_same_facts(tmp_path: Path) -> None:
    mcp_json, config, env = setup(tmp_path)
    out = voicechat("--config", str(config), "--mcp-config", str(mcp_json), "--json", env=env)
    assert out.returncode == 1, out
    data = json.loads(out.stdout)
    assert data["approval"] == "ask"
    states = {s["name"]: s["state"] for s in data["servers"]}
    assert states == {"calc": "ready", "broken": "failed", "ghost": "failed"}
    tools = {t["name"]: t for t in data["tools"]}
    assert tools["cmd_add"]["original"] == "add" and tools["cmd_add"]["approval"] == "deny"
    assert tools["cmd_add"]["parameters"]["properties"]["nums"]["items"] == {}
    assert tools["get_weather"]["source"] == "mcp:calc"
    assert data["hosted"] == [{"label": "deepwiki", "where": "https://mcp.deepwiki.com/mcp",
                               "allowed": ["ask_question"], "require_approval": "always"}]
    assert len(data["unavailable"]) == 2


def test_nothing_configured_says_how_to_add_tools(tmp_path: Path) -> None:
    _, _, env = setup(tmp_path)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    out = voicechat("--config", str(empty), env=env)
    assert out.returncode == 0
    assert "no tools configured" in out.stdout and "--mcp-config" in out.stdout


def test_an_unreadable_mcp_config_is_a_config_error(tmp_path: Path) -> None:
    _, _, env = setup(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = voicechat("--mcp-config", str(bad), env=env)
    assert out.returncode == 2
    assert "bad.json" in out.stderr


def test_a_failure_is_explained_by_this_runs_stderr_only(tmp_path: Path) -> None:
    mcp_json, config, env = setup(tmp_path)
    log = tmp_path / "state" / "voicechat" / "log" / "mcp-broken.log"
    log.parent.mkdir(parents=True)
    log.write_text("an old line from yesterday's run\n")
    servers = {"mcpServers": {"broken": {"command": sys.executable,
                                         "args": ["-c", "import sys; sys.exit(3)"]}}}
    mcp_json.write_text(json.dumps(servers))
    out = voicechat("--config", str(config), "--mcp-config", str(mcp_json), "--json", env=env)
    data = json.loads(out.stdout)
    assert data["servers"][0]["state"] == "failed"
    assert data["servers"][0]["stderr"] == ""  # it wrote nothing this time
