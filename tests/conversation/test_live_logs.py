"""GPT-Live logs hold a conversation too (issue 36, item 6): ``export`` and ``--resume`` read
them, as ``doctor`` and ``replay`` did; before, "N events but no conversation in them", exit 2.

A real GPT-Live conversation recorded by our client against the local server (typed lines, so
the grammar does not matter), then: our log (the turns as the client closed them), the same
log without our local records (another app's log: the turns grouped from the timed transcript
fragments by the GPT-Live core's rules), export to Markdown and JSON, and ``--resume`` into a
new GPT-Live session (its start-up ``input``) and into a Realtime one.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from tests.commands.no_ui import VOICECHAT, run_no_ui
from tests.helpers import local_server, read_records
from voicechat.conversation import load_conversation

LIVE = ("--api", "live", "--model", "gpt-live-1")


@pytest.fixture(scope="module")
def live_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recorded conversation for the module (recording it takes ~9 s; the tests only read
    it): run in its own event loop, as a module's fixture outlives each test's loop."""
    tmp_path = tmp_path_factory.mktemp("live_log")

    async def record() -> None:
        async with local_server() as srv:
            code, _, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                              "hello there\nhow are you\n", *LIVE, events=False)
        assert code == 0, err[-2000:]

    asyncio.run(record())
    return tmp_path / "log.jsonl"


def spoken(path: Path) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.text) for turn in load_conversation(path).turns]


async def test_our_gpt_live_log_exports_its_turns(live_log: Path, tmp_path: Path) -> None:
    assert spoken(live_log) == [
        ("user", "hello there"), ("assistant", "You said: The user typed: hello there"),
        ("user", "how are you"), ("assistant", "You said: The user typed: how are you")]
    out = subprocess.run([str(VOICECHAT), "export", str(live_log)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert "**You**" in out.stdout and "hello there" in out.stdout
    assert "model gpt-live-1" in out.stdout
    as_json = subprocess.run([str(VOICECHAT), "export", str(live_log), "--format", "json"],
                             capture_output=True, text=True, timeout=60, check=False)
    turns = json.loads(as_json.stdout)["turns"]
    assert [t["speaker"] for t in turns] == ["user", "assistant", "user", "assistant"]


async def test_another_apps_gpt_live_log_is_grouped_from_its_fragments(
        live_log: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "app.jsonl"
    foreign.write_text("".join(json.dumps(r["event"]) + "\n" for r in read_records(live_log)
                               if r["dir"] in ("in", "out")), encoding="utf-8")
    # the typed lines went in as appends (no transcript of them): the answers are what shows,
    # one turn each (an append closes the turn the model was saying)
    assert spoken(foreign) == [("assistant", "You said: The user typed: hello there"),
                               ("assistant", "You said: The user typed: how are you")]


@pytest.mark.parametrize("into", ["live", "realtime"])
async def test_a_gpt_live_log_resumes(live_log: Path, tmp_path: Path, into: str) -> None:
    run = tmp_path / into
    run.mkdir()
    extra = (*LIVE, "--resume", str(live_log)) if into == "live" else ("--resume",
                                                                        str(live_log))
    async with local_server() as srv:
        code, out, err, records = await run_no_ui(run, srv.base_url, "websocket",
                                                  "and now?\n", *extra, events=False)
    assert code == 0, (out[-2000:], err[-2000:])
    assert f"resumed: 4 earlier turn(s) from {live_log} seeded as text" in out  # as passed
    sent = [r["event"] for r in records if r["dir"] == "out"]
    if into == "live":
        start = next(e for e in sent if e["type"] == "session.start")
        texts = [m["content"][0]["text"] for m in start["session"]["input"]]
        assert texts[0] == "hello there" and len(texts) == 4
    else:
        seeded = [e["item"] for e in sent if e["type"] == "conversation.item.create"]
        assert any("hello there" in json.dumps(item) for item in seeded)
