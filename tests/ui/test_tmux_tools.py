"""End to end in a real terminal: a tool call asked about, run, shown, and answered.

The installed ``voicechat`` in tmux against its embedded local server, whose ``script:``
responder speaks a preamble and calls ``get_weather``; the tool is a command tool of the config
(a real process reading its arguments as JSON on stdin) under ``tool_approval = "ask"``. The
test types the question, answers the approval modal with ``y`` and reads the screen: the call
in the transcript with its result, then the answer; the event log shows the output sent with
the call's ``call_id``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import events, read_records, user_terminal_env
from tests.ui.test_tmux_e2e import VOICECHAT, Tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A tmux server on a socket of this test's own (the other end-to-end test's server may
    still be shutting down when this one starts); missing tools fail, never skip."""
    missing = [name for name, ok in (
        ("tmux (apt-get install tmux)", shutil.which("tmux") is not None),
        (f"the installed command {VOICECHAT} (pip install -e .)", VOICECHAT.exists()),
    ) if not ok]
    if missing:
        pytest.fail("the end-to-end test cannot run without: " + "; ".join(missing))
    mux = Tmux(f"vc-ui-tools-{os.getpid()}")
    yield mux
    mux.run("kill-server")

pytestmark = pytest.mark.slow

TOOL = ("import json, sys; args = json.load(sys.stdin); "
        "print(f\"18 degrees and sunny in {args['city']}\")")


def test_a_tool_call_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    script = tmp_path / "replies.txt"
    script.write_text('Let me check. @call get_weather {"city": "Paris"}\n'
                      "It is eighteen degrees in Paris.\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        'local_voice = "tone"\n'
        f'local_responder = "script:{script}"\n'
        'tool_approval = "ask"\n\n'
        "[voicechat.tools.get_weather]\n"
        f"command = [{json.dumps(sys.executable)}, \"-c\", {json.dumps(TOOL)}]\n"
        'description = "The weather in a city"\n'
        'parameters = {type = "object", properties = {city = {type = "string"}}, '
        'required = ["city"]}\n', encoding="utf-8")
    env = user_terminal_env(tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("NO_COLOR", None)
    log = tmp_path / "events.jsonl"
    command = (f"{VOICECHAT} --config {config} --mic none --speaker none --record {log}; "
               "echo VOICECHAT-EXITED-$?; sleep 60")
    subprocess.run([*tmux.base, "new-session", "-d", "-s", "vc", "-x", "120", "-y", "36",
                    command], check=True, env=env, cwd=tmp_path, timeout=10)
    tmux.wait(lambda s: "connected" in s, "the app connected")
    tmux.keys("/")
    tmux.wait(lambda s: "Type a message and press Enter" in s, "the message box")
    tmux.keys("-l", "What is the weather in Paris?")
    tmux.keys("Enter")
    screen = tmux.wait(lambda s: "Allow this tool call?" in s, "the approval modal")
    assert "get_weather" in screen and "command" in screen and '"city": "Paris"' in screen
    assert "[y] Allow once" in screen and "[n] Deny (Esc)" in screen
    tmux.keys("y")
    screen = tmux.wait(lambda s: "It is eighteen degrees in Paris." in s
                       and "Allow this tool call?" not in s, "the call and the answer")
    lines = screen.splitlines()
    call = next(i for i, line in enumerate(lines) if "⚙ get_weather" in line)
    assert "✓ done" in lines[call] and "→ 18 degrees" in lines[call]  # cut to the pane
    preamble = next(i for i, line in enumerate(lines) if "Assistant: Let me check." in line)
    answer = next(i for i, line in enumerate(lines)
                  if "Assistant: It is eighteen degrees in Paris." in line)
    assert preamble < call < answer, screen
    tmux.keys("q")
    screen = tmux.wait(lambda s: "VOICECHAT-EXITED-" in s, "the app to exit")
    assert "VOICECHAT-EXITED-0" in screen and "Traceback" not in screen
    sent = [e for e in events(read_records(log)) if e["type"] == "conversation.item.create"
            and e["item"].get("type") == "function_call_output"]
    calls = [e for e in events(read_records(log)) if e["type"] == "response.output_item.done"
             and e["item"].get("type") == "function_call"]
    assert len(sent) == 1 and sent[0]["item"]["call_id"] == calls[0]["item"]["call_id"]
    assert "18 degrees and sunny in Paris" in sent[0]["item"]["output"]
    kinds = [e["type"] for e in events(read_records(log)) if e["type"].startswith("local.tool.")]
    assert "local.tool.approved" in kinds and "local.tool.finished" in kinds
