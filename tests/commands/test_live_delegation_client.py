"""Client delegation end to end: the local server's script responder delegates a task to the
client (``session.delegation.created``, target ``client``, no task text); ``voicechat --api
live --no-ui`` runs the user's ``delegate`` command tool (approval ``auto``) with the request
rebuilt from the user's words, and returns its output by ``session.commentary.append`` naming
the delegation, which the assistant then says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import events, read_records
from tests.speech import TEST_PHRASES, speech_wav

VOICECHAT = Path(sys.executable).parent / "voicechat"
DELEGATE = ("import json, sys; a = json.load(sys.stdin); "
            "print('Order shipped for: ' + a['request'].strip())")


@pytest.mark.slow
def test_a_client_delegation_runs_the_delegate_tool_and_is_answered(tmp_path: Path) -> None:
    wav = speech_wav(tmp_path / "ask.wav", [TEST_PHRASES[0]], tail_s=1.0)
    script = tmp_path / "script.txt"
    script.write_text("One moment. @call lookup {}\nDone.\n", encoding="utf-8")
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(
        f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n'
        f'local_responder = "script:{script}"\ntool_approval = "auto"\n'
        f'[voicechat.tools.delegate]\ncommand = [{sys.executable!r}, "-c", {DELEGATE!r}]\n'
        'description = "does what the user asked"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE",
                                                                    "VOICECHAT"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--api", "live", "--server", "local", "--transport",
         "websocket", "--mic", str(wav), "--speaker", "none", "--record",
         str(tmp_path / "log.jsonl"), "--config", str(cfg)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    records = read_records(tmp_path / "log.jsonl")
    (created,) = [e for e in events(records, "in") if e["type"] == "session.delegation.created"]
    assert created["delegation"]["target"] == "client"
    local = [r["event"] for r in records if r["dir"] == "local"]
    assert any(e["type"] == "local.tool.approved" and e["name"] == "delegate" for e in local)
    (finished,) = [e for e in local if e["type"] == "local.tool.finished"]
    assert finished["outcome"] == "ok"
    (answer,) = [e for e in events(records, "out") if e["type"] == "session.commentary.append"]
    assert answer["delegation_id"] == created["delegation"]["id"]
    assert answer["content"].startswith("Order shipped for: Please turn on the kitchen lights")
    assert any(e["type"] == "session.commentary.appended" for e in events(records, "in"))
    said = "".join(e["delta"] for e in events(records, "in")
                   if e["type"] == "session.output_transcript.delta")
    assert "shipped" in said.lower()
