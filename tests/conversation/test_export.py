"""``voicechat export``: snapshots of the Markdown of our logs and of the real recordings in
tests/fixtures/realtime/, the speakers in order, the JSON round trip, and clear errors.

Snapshots live in ``snapshots/`` (one ``.md`` per log); after a deliberate change to the
rendering, rewrite them with ``VOICECHAT_UPDATE_SNAPSHOTS=1 pytest tests/conversation`` and read
the diff before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicechat.conversation import load_conversation
from voicechat.conversation.jsonform import from_json, to_json
from voicechat.conversation.render import markdown

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "realtime"
OURS = ROOT / "tests" / "doctor" / "logs"
SNAPSHOTS = Path(__file__).parent / "snapshots"
VOICECHAT = Path(sys.executable).parent / "voicechat"

REAL_LOGS = sorted(p for p in REAL.iterdir() if p.suffix in (".json", ".jsonl", ".log"))
OUR_LOGS = [OURS / name for name in (
    "clean_ga_websocket.jsonl", "clean_tool_turn_ga_webrtc.jsonl", "clean_beta_push_to_talk.json",
    "clean_ga_text_console.log", "clean_ga_webrtc_logcat.txt", "tool_turns_proxy_recording.jsonl",
    "mcp_approval_unanswered_ga.json", "transcription_failed_ga.jsonl",
    "self_interruption_webrtc_logcat.txt",
)]


@pytest.mark.parametrize("log", REAL_LOGS + OUR_LOGS, ids=lambda p: p.name)
def test_markdown_matches_its_snapshot(log: Path) -> None:
    text = markdown(load_conversation(log))
    snapshot = SNAPSHOTS / f"{log.name}.md"
    if os.environ.get("VOICECHAT_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.exists(), f"no snapshot yet: run with VOICECHAT_UPDATE_SNAPSHOTS=1 ({log})"
    assert text == snapshot.read_text(encoding="utf-8")


# Who speaks, in order, read off each recording by hand (the README of the fixtures describes
# them): U user, A assistant, T tool.
REAL_SPEAKERS = {
    "beta_webrtc_bill_negotiation_short.jsonl": "UAUA",
    "ga_webrtc_trainee_interrupts_persona.json": "AUAUAUA",
    "ga_webrtc_persona_hangs_up.json": "AUAUAT",
    "ga_webrtc_hang_up_call_only.json": "AUAUT",
    "ga_websocket_sip_gateway_excerpt.jsonl": "UA",
    "beta_websocket_text_node_inspect.log": "A",
}


@pytest.mark.parametrize(("name", "speakers"), REAL_SPEAKERS.items())
def test_real_recordings_give_the_right_speakers_in_order(name: str, speakers: str) -> None:
    turns = load_conversation(REAL / name).turns
    assert "".join(t.speaker[0].upper() for t in turns) == speakers


def test_the_long_real_recording_keeps_its_five_cut_replies_and_its_call() -> None:
    turns = load_conversation(REAL / "beta_webrtc_bill_negotiation_long.jsonl").turns
    cut = [t for t in turns if t.status == "interrupted"]
    assert sorted(t.interruption.heard_ms for t in cut if t.interruption) == [
        0, 20, 1680, 2460, 4000]
    assert [t.tool.name for t in turns if t.tool] == ["transferToSupervisor"]
    assert turns[0].speaker == "user" and turns[0].text == "Hello!"
    # times never go backwards along the conversation (the log is in arrival order)
    times = [t.t for t in turns if t.t is not None]
    assert times == sorted(times)


@pytest.mark.parametrize("log", REAL_LOGS + OUR_LOGS, ids=lambda p: p.name)
def test_the_json_export_reads_back_as_the_same_turns(log: Path) -> None:
    conversation = load_conversation(log)
    again = from_json(to_json(conversation), "export")
    assert again.turns == conversation.turns


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VOICECHAT), "export", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_command_writes_each_format(tmp_path: Path) -> None:
    log = OURS / "clean_tool_turn_ga_webrtc.jsonl"
    shown = run(str(log))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# Conversation")
    out = tmp_path / "talk.json"
    written = run(str(log), "-o", str(out))  # the format follows the extension
    assert written.returncode == 0, written.stderr
    assert str(out) in written.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [t["speaker"] for t in doc["turns"]] == ["user", "assistant", "tool", "assistant"]
    text = run(str(log), "--format", "txt")
    assert text.returncode == 0 and "You: And in Paris?" in text.stdout


@pytest.mark.parametrize(("make", "words"), [
    (lambda d: d / "missing.jsonl", ["no such file", "path"]),
    (lambda d: d, ["is a directory", "log file inside it"]),
    (lambda d: _write(d / "notes.txt", "just some notes\nnothing else\n"),
     ["no Realtime events", "voicechat --record"]),
    (lambda d: _write(d / "quiet.jsonl", json.dumps(
        {"type": "session.created", "session": {"model": "gpt-realtime"}}) + "\n"),
     ["no conversation", "voicechat doctor"]),
    (lambda d: _write(d / "bad.json", '{"voicechat_conversation": 1, "turns": 3}'),
     ["turns", "list"]),
])
def test_bad_input_names_the_problem_and_the_fix(tmp_path: Path, make, words) -> None:
    result = run(str(make(tmp_path)))
    assert result.returncode == 2
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr


def test_an_output_extension_it_cannot_write_is_refused(tmp_path: Path) -> None:
    """``-o out.pdf`` wrote Markdown under a PDF's name, silently (issue 55)."""
    out = tmp_path / "out.pdf"
    result = run(str(OURS / "clean_ga_websocket.jsonl"), "-o", str(out))
    assert result.returncode == 2
    assert ".md" in result.stderr and ".txt" in result.stderr and ".json" in result.stderr
    assert "--format" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    # a format asked for by name is written under any name
    result = run(str(OURS / "clean_ga_websocket.jsonl"), "-o", str(out), "--format", "md")
    assert result.returncode == 0 and out.read_text().startswith("# Conversation")


def test_an_unknown_format_is_refused_with_the_choices(tmp_path: Path) -> None:
    result = run(str(OURS / "clean_ga_websocket.jsonl"), "--format", "pdf")
    assert result.returncode == 2
    assert "md, txt, json" in result.stderr


def test_secrets_in_a_log_never_reach_an_export(tmp_path: Path) -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    events = [
        {"type": "session.updated", "session": {"model": "gpt-realtime", "tools": [{
            "type": "mcp", "server_label": "docs", "server_url": "https://x.example/mcp",
            "headers": {"Authorization": f"Bearer {key}"}}]}},
        {"type": "conversation.item.added", "previous_item_id": None, "item": {
            "id": "u1", "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": f"use {key} please"}]}},
        {"type": "response.output_item.done", "response_id": "r1", "item": {
            "id": "f1", "type": "function_call", "call_id": "c1", "name": "login",
            "arguments": json.dumps({"api_key": key, "authorization": f"Bearer {key}"}),
            "status": "completed"}},
    ]
    log = _write(tmp_path / "secret.jsonl", "".join(json.dumps(e) + "\n" for e in events))
    for fmt in ("md", "txt", "json"):
        result = run(str(log), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert key not in result.stdout and "abcdefghijklmnop" not in result.stdout
        assert "login" in result.stdout


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_said_text_cannot_turn_into_markdown_structure() -> None:
    from voicechat.conversation.model import Conversation, Turn

    said = "# not a heading\n> not a quote\n1. not a list\nfine # here"
    text = markdown(Conversation((Turn("user", said),)))
    assert "\\# not a heading  \n\\> not a quote  \n1\\. not a list  \nfine # here" in text


def test_a_log_piped_in_is_exported_and_resumable(tmp_path: Path) -> None:
    # <(zcat log.gz): the head that tells an export from a log is read once, not twice
    log = OURS / "clean_tool_turn_ga_webrtc.jsonl"
    read, write = os.pipe()
    with open(write, "wb") as pipe:
        pipe.write(log.read_bytes())  # (a few KB: within the pipe's buffer)
    try:
        piped = load_conversation(f"/dev/fd/{read}")
    finally:
        os.close(read)
    # named as piped input, not by the descriptor's number ("from 63": issue 55)
    assert markdown(piped) == markdown(load_conversation(log)).replace(log.name, "piped input")
    exported = _write(tmp_path / "talk.json", to_json(load_conversation(log)))
    read, write = os.pipe()
    with open(write, "wb") as pipe:
        pipe.write(exported.read_bytes())
    try:
        assert load_conversation(f"/dev/fd/{read}").turns == load_conversation(exported).turns
    finally:
        os.close(read)


@pytest.mark.parametrize("how", ["same", "dot", "symlink", "hardlink"])
def test_output_onto_the_log_itself_is_refused_and_the_log_kept(tmp_path: Path,
                                                                how: str) -> None:
    log = tmp_path / "session.jsonl"
    original = (OURS / "clean_ga_websocket.jsonl").read_bytes()
    log.write_bytes(original)
    output = {"same": log, "dot": tmp_path / "." / "session.jsonl",
              "symlink": tmp_path / "link.md", "hardlink": tmp_path / "hard.md"}[how]
    if how == "symlink":
        output.symlink_to(log)
    elif how == "hardlink":
        output.hardlink_to(log)
    result = run(str(log), "-o", str(output))
    assert result.returncode == 2
    assert "is the log being exported" in result.stderr and "another file name" in result.stderr
    assert log.read_bytes() == original


@pytest.mark.parametrize(("target", "words"), [
    (lambda d: d, ["is a directory", "conversation.md"]),
    (lambda d: d / "no such folder" / "talk.md", ["cannot write", "folder exists"]),
])
def test_an_output_that_cannot_be_written_names_the_fix(tmp_path: Path, target,
                                                        words: list[str]) -> None:
    result = run(str(OURS / "clean_ga_websocket.jsonl"), "-o", str(target(tmp_path)))
    assert result.returncode == 2
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr


def test_a_lone_surrogate_in_a_log_is_exported_in_every_format(tmp_path: Path) -> None:
    # a JSON "\ud800" escape decodes to a string no encoder writes: UnicodeEncodeError
    text = (OURS / "clean_ga_websocket.jsonl").read_text(encoding="utf-8")
    log = _write(tmp_path / "odd.jsonl", text.replace("What is the weather?",
                                                      "What is \\ud800 the weather?"))
    assert "\\ud800" in log.read_text(encoding="utf-8")
    for fmt in ("md", "txt"):
        result = run(str(log), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert "What is \\ud800 the weather?" in result.stdout
    out = tmp_path / "odd.json"
    result = run(str(log), "-o", str(out))
    assert result.returncode == 0, result.stderr
    turns = json.loads(out.read_text(encoding="utf-8"))["turns"]
    assert turns[0]["text"] == "What is \ud800 the weather?"  # the same string back
