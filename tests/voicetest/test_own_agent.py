"""``agent: server``: the team's own Realtime server is the agent under test (issue 79, item
25). The run sends it nothing that sets it up (no ``session.update``: not its instructions,
tools, turn detection or transcription), watches the calls it makes without answering them,
and still judges its replies, its tool calls and an interruption, which the server's own
turn detection (``interrupt_response`` on, the service's default) honours. The local server
with a script plays that agent here."""

from __future__ import annotations

import json
from pathlib import Path

from tests.voicetest.runner import assert_behaviour_passed, voicechat_test

#: one reply a line: a call the agent's own tools would answer, a long answer to cut, the end
SCRIPT = "\n".join([
    'Welcome to Bistro Nine. Let me look. @call check_table {"day": "Friday", "people": 4}',
    "We have a table at eight on Friday, by the window, for four people, and I can hold it "
    "until noon tomorrow while you decide, and I can also note any allergies or a high chair "
    "for a child.",
    "All right, stopping there.",
]) + "\n"

SCENARIO = """\
name: own agent
agent: server
local_responder: script:agent.txt
turns:
  - say: I would like a table for four on Friday
    expect:
      tool_calls: [{name: check_table, arguments: {day: Friday, people: 4}}]
      reply: {contains: [Bistro]}
  - type: Is there anything at eight?
    expect:
      reply: {contains: [window]}
  - say: Stop, that is enough.
    interrupt_after_ms: 900
    expect:
      interrupted: true
"""


def test_the_servers_own_agent_is_tested_without_a_session_update(tmp_path: Path) -> None:
    (tmp_path / "agent.txt").write_text(SCRIPT, encoding="utf-8")
    scenario = tmp_path / "own.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    kept = tmp_path / "kept"
    proc, report = voicechat_test(tmp_path, str(scenario), "--server", "local",
                                  "--transport", "websocket", "--keep", str(kept))
    assert report is not None, proc.stderr
    assert_behaviour_passed(report)
    assert proc.returncode == 0, proc.stdout
    (run,) = report["runs"]
    asked, _, cut = run["turns"]
    assert asked["tool_calls"] == [{"name": "check_table",
                                    "arguments": '{"day":"Friday","people":4}'}]
    assert cut["interrupted"] is True
    events = [json.loads(line) for line in
              (kept / "own-agent" / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    sent = {e["event"]["type"] for e in events if e["dir"] == "out"}
    # nothing set the agent up, and its call was left to it, not answered by the caller
    assert "session.update" not in sent and "input_audio_buffer.append" in sent, sent
    outputs = [e for e in events if e["dir"] == "out"
               and e["event"]["type"] == "conversation.item.create"
               and e["event"]["item"].get("type") == "function_call_output"]
    assert outputs == []
    skipped = [e["event"] for e in events if e["event"]["type"] == "local.tool.skipped"]
    assert [s["reason"] for s in skipped] == ["the agent's server runs its own tools"]
    # the server's own turn detection cut the answer (its default: interrupt_response on)
    created = next(e["event"] for e in events if e["event"]["type"] == "session.created")
    assert created["session"]["audio"]["input"]["turn_detection"]["interrupt_response"] is True
