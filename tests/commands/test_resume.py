"""``voicechat --no-ui --resume LOG`` end to end: the installed client against our local server
(in process, on 127.0.0.1) whose ``chat:`` responder is a fake OpenAI-compatible chat endpoint
(a model cannot run here). A first run records a conversation; a second run resumes it, from the
log and from its JSON export: its first events seed the earlier turns, and the model is asked
the new question with them in its history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import VOICECHAT, run_no_ui
from tests.helpers import local_server
from tests.server.fake_chat import fake_chat, text_reply

FIRST_QUESTION = "My name is Ada and my favourite tea is genmaicha."
FIRST_ANSWER = "Nice to meet you, Ada. Genmaicha is a fine choice."
SECOND_QUESTION = "Which tea did I say I like?"


def answer_from_history(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The fake model answers only from what its history holds."""
    history = " ".join(str(m.get("content")) for m in body["messages"][:-1])
    known = "genmaicha" in history
    return text_reply("You said genmaicha." if known else "You have not told me.")


async def first_conversation(tmp_path: Path) -> Path:
    async with fake_chat(text_reply(FIRST_ANSWER)) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, _, err, _ = await run_no_ui(tmp_path, srv.base_url, "websocket",
                                          FIRST_QUESTION + "\n", "--turns", "1")
    assert code == 0, err[-3000:]
    kept = tmp_path / "first.jsonl"
    (tmp_path / "log.jsonl").rename(kept)
    return kept


@pytest.mark.parametrize(("source", "transport"), [
    ("log", "websocket"), ("json export", "websocket"), ("log", "webrtc")])
async def test_a_resumed_session_is_seeded_and_answers_with_the_earlier_turns_in_context(
        tmp_path: Path, source: str, transport: str) -> None:
    earlier = await first_conversation(tmp_path)
    if source == "json export":
        exported = tmp_path / "first.json"
        done = subprocess.run([str(VOICECHAT), "export", str(earlier), "-o", str(exported)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        earlier = exported
    async with fake_chat(answer_from_history) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, transport, SECOND_QUESTION + "\n", "--turns", "1",
            "--resume", str(earlier))
    assert code == 0, err[-3000:]
    sent = [r["event"] for r in records if r["dir"] == "out"]
    # the new session's first events: its session.update, then the earlier turns in order
    assert sent[0]["type"] == "session.update"
    seeded = [(e["item"]["id"], e["item"]["role"], e["item"]["content"][0]["text"])
              for e in sent[1:3]]
    assert seeded == [("earlier_0000", "user", FIRST_QUESTION),
                      ("earlier_0001", "assistant", FIRST_ANSWER)]
    # the server took them in, and the model got them as history before the new question
    added = [r["event"]["item"]["id"] for r in records if r["dir"] == "in"
             and r["event"].get("type") == "conversation.item.added"]
    assert added[:2] == ["earlier_0000", "earlier_0001"]
    [request] = chat.requests
    turns = [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]
    assert turns == [("user", FIRST_QUESTION), ("assistant", FIRST_ANSWER),
                     ("user", SECOND_QUESTION)]
    assert "You said genmaicha." in out
    assert "resumed: 2 earlier turn(s)" in out


async def test_a_long_conversation_is_seeded_newest_first_and_says_how_many_were_left_out(
        tmp_path: Path) -> None:
    turns = [{"speaker": "user" if n % 2 == 0 else "assistant", "text": f"turn number {n}"}
             for n in range(130)]
    export = tmp_path / "long.json"
    export.write_text(json.dumps({"voicechat_conversation": 1, "turns": turns}),
                      encoding="utf-8")
    async with fake_chat(text_reply("ok")) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, out, err, records = await run_no_ui(
            tmp_path, srv.base_url, "websocket", "hello\n", "--turns", "1",
            "--resume", str(export))
    assert code == 0, err[-3000:]
    seeded = [r["event"]["item"]["content"][0]["text"] for r in records
              if r["dir"] == "out" and r["event"].get("type") == "conversation.item.create"
              and r["event"]["item"].get("id", "").startswith("earlier_")]
    assert seeded == [f"turn number {n}" for n in range(30, 130)]
    assert "the oldest 30 turn(s) were left out" in out
    history = [m["content"] for m in chat.requests[0]["messages"] if m["role"] != "system"]
    assert history[0] == "turn number 30" and history[-1] == "hello"


@pytest.mark.parametrize(("content", "words"), [
    (None, ["--resume", "no such file"]),
    ("no events here\n", ["--resume", "no Realtime events"]),
    ('{"voicechat_conversation": 1, "turns": [{"speaker": "robot", "text": "x"}]}',
     ["--resume", "speaker", "user, assistant, tool"]),
])
def test_a_bad_resume_file_fails_before_connecting(tmp_path: Path, content: str | None,
                                                   words: list[str]) -> None:
    path = tmp_path / "earlier.jsonl"
    (tmp_path / "cfg.toml").write_text("", encoding="utf-8")
    if content is not None:
        path.write_text(content, encoding="utf-8")
    done = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "http://127.0.0.1:9", "--resume", str(path),
         "--config", str(tmp_path / "cfg.toml")],
        capture_output=True, text=True, timeout=60, check=False, input="")
    assert done.returncode == 2, done.stderr
    for word in words:
        assert word in done.stderr
    assert "Traceback" not in done.stderr


def test_resume_is_refused_in_transcribe_mode(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text("", encoding="utf-8")
    done = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--mode", "transcribe", "--resume", str(tmp_path / "x"),
         "--config", str(tmp_path / "cfg.toml")],
        capture_output=True, text=True, timeout=60, check=False, input="")
    assert done.returncode == 2
    assert "--mode transcribe" in done.stderr and "--resume" in done.stderr


async def test_the_earlier_conversation_is_shown_once_as_earlier_naming_the_file_passed(
        tmp_path: Path) -> None:
    """Issue 55, item 7: with ``--no-ui`` the earlier user turns printed as new ``user:``
    lines, the earlier answers not at all, and the notice named the log the export was made
    from instead of the file passed."""
    earlier = await first_conversation(tmp_path)
    exported = tmp_path / "talk.json"
    done = subprocess.run([str(VOICECHAT), "export", str(earlier), "-o", str(exported)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    async with fake_chat(answer_from_history) as chat, \
            local_server(responder=f"chat:{chat.url}") as srv:
        code, out, err, _ = await run_no_ui(
            tmp_path, srv.base_url, "websocket", SECOND_QUESTION + "\n", "--turns", "1",
            "--resume", str(exported), events=False)
    assert code == 0, err[-3000:]
    lines = out.splitlines()
    header = f"earlier, from {exported}:"
    assert lines.count(header) == 1, lines
    at = lines.index(header)
    assert lines[at + 1:at + 3] == [f"  user: {FIRST_QUESTION}", f"  assistant: {FIRST_ANSWER}"]
    # said once, marked: never again as a line of this conversation
    assert sum(FIRST_QUESTION in line for line in lines) == 1, lines
    assert f"notice info: resumed: 2 earlier turn(s) from {exported} seeded as text" in lines
    assert "first.jsonl" not in out
    assert lines.index(f"user: {SECOND_QUESTION}") > at + 2
    assert "assistant: You said genmaicha." in lines
