"""A scenario's real tools instead of mocks: an MCP server (the `mcp` SDK, stdio) named by
``mcp_config:`` and a command tool, called by the local server's scripted model, their
outputs spoken back; the runner checks the calls and the reply."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.commands.test_headless_tools import MCP_SERVER
from tests.voicetest.runner import voicechat_test


def test_mcp_and_command_tools_run_for_a_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "mcp.json").write_text(json.dumps({"mcpServers": {"weather": {
        "command": sys.executable, "args": [str(MCP_SERVER)]}}}), encoding="utf-8")
    (folder / "shout.py").write_text(
        "import json, sys\nprint(json.load(sys.stdin)['word'].upper())\n", encoding="utf-8")
    (folder / "model.script").write_text(
        '@call get_weather {"city": "Oslo"} @call shout {"word": "hello"}\n'
        "Done.\n", encoding="utf-8")
    (folder / "tools.yaml").write_text(f"""
name: real tools
local_responder: script:model.script
mcp_config: mcp.json
tools:
  - name: shout
    parameters: {{type: object, properties: {{word: {{type: string}}}}}}
    command: [{json.dumps(sys.executable)}, shout.py]
turns:
  - type: What is the weather in Oslo?
    expect:
      tool_calls: [{{name: get_weather, arguments: {{city: Oslo}}}}, {{name: shout}}]
      reply: {{contains: [done]}}
""", encoding="utf-8")
    keep = tmp_path / "kept"
    proc, report = voicechat_test(tmp_path, str(folder / "tools.yaml"), "--transport",
                                  "websocket", "--keep", str(keep))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report is not None
    records = [json.loads(line) for line in
               (keep / "real-tools" / "events.jsonl").read_text().splitlines()]
    outputs = [r["event"]["item"]["output"] for r in records
               if r["dir"] == "out" and r["event"].get("type") == "conversation.item.create"
               and r["event"]["item"].get("type") == "function_call_output"]
    assert any("Sunny and 21 degrees in Oslo" in out for out in outputs), outputs
    assert any(out.strip() == "HELLO" for out in outputs), outputs
