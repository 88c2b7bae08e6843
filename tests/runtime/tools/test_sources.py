"""Tool configuration: the mcpServers JSON, [voicechat.mcp_servers], [voicechat.tools]."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voicechat.config import ConfigError, Settings, resolve
from voicechat.runtime.tools.results import flatten_result
from voicechat.runtime.tools.sources import tool_config


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_mcp_json_as_other_hosts_write_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.json",
        {
            "mcpServers": {
                "files": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
                    "env": {"DEBUG": "1"},
                },
                "remote": {
                    "type": "http",
                    "url": "https://example.com/mcp",
                    "headers": {"Authorization": "Bearer x"},
                },
                "old": {"type": "sse", "url": "https://example.com/sse"},
                "empty": {},
            }
        },
    )
    config = tool_config(Settings(mcp_config=path, tool_approval="auto"))
    assert [s.name for s in config.servers] == ["files", "remote"]
    files, remote = config.servers
    assert files.command == "npx" and files.args[0] == "-y" and files.env == {"DEBUG": "1"}
    assert remote.url == "https://example.com/mcp" and remote.headers["Authorization"]
    assert "Bearer" not in repr(remote)  # headers hold secrets: never in a repr
    assert config.approval == "auto"
    assert any("mcpServers.old" in p and "streamable HTTP" in p for p in config.problems)
    assert any("mcpServers.empty" in p and "neither command" in p for p in config.problems)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not JSON"),
        ('{"servers": {}}', 'no "mcpServers" object'),
    ],
)
def test_a_bad_mcp_file_is_a_config_error_naming_the_fix(
    tmp_path: Path, content: str, says: str
) -> None:
    path = write(tmp_path / "s.json", content)
    with pytest.raises(ConfigError, match=says):
        tool_config(Settings(mcp_config=path))
    with pytest.raises(ConfigError, match="does not exist"):
        tool_config(Settings(mcp_config=tmp_path / "missing.json"))


def test_toml_tables_flags_and_environment(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        """
[voicechat]
tool_approval = "deny"
[voicechat.mcp_servers.calc]
command = "python3"
args = ["calc.py"]
tool_approval = "auto"
timeout = 5
approvals = { divide = "ask", bad = "sometimes" }
[voicechat.tools.today]
command = ["date", "-u"]
description = "the date"
timeout = 2
[voicechat.tools.broken]
command = "not a list but fine"
parameters = "{bad json"
""",
    )
    settings = resolve({}, env={}, config_path=cfg)
    assert settings.tool_approval == "deny"
    config = tool_config(settings)
    [calc] = config.servers
    assert (calc.approval, calc.timeout, dict(calc.approvals)) == ("auto", 5.0, {"divide": "ask"})
    assert [c.name for c in config.commands] == ["today"]
    assert config.commands[0].command == ("date", "-u")
    assert any("approvals for bad" in p for p in config.problems)
    assert any("tools.broken" in p and "parameters must be" in p for p in config.problems)
    flagged = resolve(
        {"tool_approval": "auto"}, env={"VOICECHAT_TOOL_APPROVAL": "ask"}, config_path=cfg
    )
    assert flagged.tool_approval == "auto"
    assert (
        resolve({}, env={"VOICECHAT_TOOL_APPROVAL": "ask"}, config_path=cfg).tool_approval == "ask"
    )
    with pytest.raises(ConfigError, match=r"VOICECHAT_TOOL_APPROVAL.*not one of ask, auto, deny"):
        resolve({}, env={"VOICECHAT_TOOL_APPROVAL": "yes"}, config_path=cfg)


class Block:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_results_are_flattened_to_text() -> None:
    text = Block(type="text", text="hello")
    image = Block(type="image", data="AAAA" * 10, mime_type="image/png")
    link = Block(type="resource_link", name="doc", uri="file:///doc.txt")
    ok = Block(content=[text, image, link], structured_content=None, is_error=False)
    out, good = flatten_result(ok)
    assert good and out.splitlines()[0] == "hello"
    assert "[image (image/png, about 30 bytes) not shown" in out and "file:///doc.txt" in out
    structured = Block(content=[], structured_content={"t": 21}, is_error=False)
    assert flatten_result(structured) == ('{"t": 21}', True)
    error = Block(content=[Block(type="text", text="no such city")], is_error=True)
    assert flatten_result(error) == ("error: the tool reported a failure: no such city", False)
