"""Acceptance of issue 40, item 2: the Gemini Live client family in the ``--no-ui`` face,
against the local server's Gemini peer on 127.0.0.1 — two typed turns (piped stdin), two spoken
turns (a WAV as the mic), a tool round trip (the script responder calls a command tool, run
with approval ``auto``), and a conversation that carries on across ``goAway`` and resumption
(``voicechat serve --gemini-connection-s``) with nothing lost in the printed transcript.

Gemini is chosen by ``--provider gemini``, with ``--server`` pointing at the local server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import at_terminal
from tests.helpers import events, local_server, read_records
from tests.images import png
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.protocol.gemini import names

VOICECHAT = Path(sys.executable).parent / "voicechat"
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight")
GET_TIME = "import json, sys; a = json.load(sys.stdin); print('12:00 in ' + a['zone'])"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI", "AZURE", "VOICECHAT", "GEMINI", "GOOGLE"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def _config(tmp_path: Path, extra: str = "") -> Path:
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n{extra}',
                   encoding="utf-8")
    return cfg


def run_gemini(tmp_path: Path, *args: str, stdin: str = "", extra: str = "",
               server: str = "local") -> tuple[subprocess.CompletedProcess[str],
                                               list[dict[str, Any]]]:
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", server, "--provider", "gemini",
         *([] if "--mic" in args else ["--mic", "none"]), "--speaker", "none",
         "--record", str(tmp_path / "log.jsonl"),
         "--config", str(_config(tmp_path, extra)), *args],
        input=stdin, capture_output=True, text=True, timeout=120, env=_env(tmp_path),
        check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    return proc, read_records(tmp_path / "log.jsonl")


def said(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stdout.splitlines()
            if line.startswith(("user:", "assistant:", "assistant (interrupted):", "tool "))]


def setups(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e[names.SETUP] for e in events(records, "out") if names.SETUP in e]


def test_two_typed_turns(tmp_path: Path) -> None:
    proc, records = run_gemini(tmp_path, stdin="Hello there\nHow are you\n")
    assert said(proc) == ["user: Hello there", "assistant: You said: Hello there",
                          "user: How are you", "assistant: You said: How are you"]
    assert proc.stdout.splitlines()[-1].startswith("session usage: 2 model turn(s)")
    (setup,) = setups(records)
    assert setup["model"] == "models/gemini-live"
    assert setup["inputAudioTranscription"] == {} and setup["outputAudioTranscription"] == {}
    assert setup["contextWindowCompression"] == {"slidingWindow": {}}
    assert setup["sessionResumption"] == {}
    out = events(records, "out")
    assert names.SETUP in out[0]  # setup first
    typed = [e[names.CLIENT_CONTENT] for e in out if names.CLIENT_CONTENT in e]
    assert [t["turns"][0]["parts"][0]["text"] for t in typed] == ["Hello there", "How are you"]
    connecting = next(r["event"] for r in records if r["event"].get("state") == "connecting")
    assert connecting["detail"].endswith(names.PATH)


def test_a_picture_goes_in_as_inline_data_in_one_typed_turn(tmp_path: Path) -> None:
    picture = tmp_path / "pic.png"
    picture.write_bytes(png())
    proc, records = run_gemini(tmp_path, stdin=f"/image {picture} What is this?\nThanks\n")
    assert said(proc) == ["user: [picture] What is this?", "assistant: You said: What is this?",
                          "user: Thanks", "assistant: You said: Thanks"]
    typed = [e[names.CLIENT_CONTENT] for e in events(records, "out")
             if names.CLIENT_CONTENT in e]
    blob = typed[0]["turns"][0]["parts"][0]["inlineData"]
    assert blob == {"mimeType": "image/png", "data": {"bytes": len(png())}}  # not logged


@pytest.mark.slow
def test_two_spoken_turns(tmp_path: Path, two_questions_wav: Path) -> None:
    proc, records = run_gemini(tmp_path, "--mic", str(two_questions_wav), "--turns", "2")
    assert said(proc) == [f"user: {TEST_PHRASES[0]}", f"assistant: You said: {TEST_PHRASES[0]}",
                          f"user: {TEST_PHRASES[1]}", f"assistant: You said: {TEST_PHRASES[1]}"]
    audio = [e[names.REALTIME_INPUT][names.AUDIO] for e in events(records, "out")
             if names.REALTIME_INPUT in e]
    assert len(audio) > 50  # 100 ms each, streamed throughout
    assert all(a["mimeType"] == names.INPUT_MIME and set(a["data"]) == {"bytes"} for a in audio)
    assert all(a["data"]["bytes"] == 3200 for a in audio)  # 100 ms at 16 kHz
    parts = [p for e in events(records, "in") if names.SERVER_CONTENT in e
             for p in e[names.SERVER_CONTENT].get(names.MODEL_TURN, {}).get("parts", [])]
    assert parts and all(set(p["inlineData"]["data"]) == {"bytes"} for p in parts)
    assert any(r["event"]["type"] == "local.playback.started" for r in records
               if "type" in r["event"])


def test_a_tool_round_trip_with_approval(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text('Let me check. @call get_time {"zone": "UTC"}\nIt is noon in UTC.\n',
                      encoding="utf-8")
    extra = (f'local_responder = "script:{script}"\ntool_approval = "auto"\n'
             f'[voicechat.tools.get_time]\ncommand = [{sys.executable!r}, "-c", {GET_TIME!r}]\n'
             'description = "the time in a zone"\n')
    proc, records = run_gemini(tmp_path, stdin="What time is it?\n", extra=extra)
    lines = said(proc)
    assert lines[0] == "user: What time is it?"
    assert lines[1].startswith("tool get_time (command): ok in ")
    assert lines[2] == "assistant: Let me check. It is noon in UTC."
    (setup,) = setups(records)
    (declared,) = setup["tools"][0]["functionDeclarations"]
    assert declared["name"] == "get_time"
    call = next(e[names.TOOL_CALL] for e in events(records, "in") if names.TOOL_CALL in e)
    (response,) = [e[names.TOOL_RESPONSE] for e in events(records, "out")
                   if names.TOOL_RESPONSE in e]
    (answer,) = response["functionResponses"]
    assert answer["id"] == call["functionCalls"][0]["id"] and answer["name"] == "get_time"
    assert answer["response"] == {"output": "12:00 in UTC\n"}
    local = [r["event"] for r in records if r["dir"] == "local"]
    assert any(e["type"] == "local.tool.approved" and e["by"] == "policy" for e in local)


@pytest.fixture
def short_lived_serve(tmp_path: Path) -> Iterator[str]:
    """``voicechat serve`` whose Gemini connections live 4 s (goAway at 2 s: an answer in
    progress then has a second to end before the client reconnects anyway)."""
    script = tmp_path / "serve_script.txt"
    script.write_text("".join(f"Answer {n}.\n" for n in NUMBERS), encoding="utf-8")
    proc = subprocess.Popen(
        [str(VOICECHAT), "serve", "--port", "0", "--voice", "tone", "--responder",
         f"script:{script}", "--gemini-connection-s", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready.startswith("voicechat server ready: "), ready
        yield ready.split()[-1]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_the_conversation_carries_on_across_go_away_and_resumption(
        tmp_path: Path, short_lived_serve: str) -> None:
    url = short_lived_serve + names.PATH
    lines = "".join(f"{n.title()}\n" for n in NUMBERS)
    proc, records = run_gemini(tmp_path, stdin=lines, server=url)
    assert said(proc) == [line for n in NUMBERS
                          for line in (f"user: {n.title()}", f"assistant: Answer {n}.")]
    assert "notice warning" not in proc.stdout and "notice error" not in proc.stdout
    reconnects = [r["event"] for r in records if r["event"].get("type") ==
                  "local.gemini.reconnect"]
    assert reconnects and all(r["resume"] for r in reconnects)
    first, *later = setups(records)
    assert first["sessionResumption"] == {} and later
    assert all(s["sessionResumption"] == {"handle": "[redacted]"} for s in later)
    assert any(names.GO_AWAY in e for e in events(records, "in"))
    assert "resumed" in proc.stdout.splitlines()[-1]


async def test_a_tool_asks_on_the_terminal_and_runs_once_allowed(tmp_path: Path) -> None:
    """``tool_approval`` ask (the default) at a real terminal: the call waits for the user's
    ``y`` on a line, then runs and is answered; Ctrl+C ends the run cleanly."""
    script = tmp_path / "script.txt"
    script.write_text('Let me check. @call get_time {"zone": "UTC"}\nIt is noon in UTC.\n',
                      encoding="utf-8")
    (tmp_path / "cfg.toml").write_text(
        f'[voicechat.tools.get_time]\ncommand = [{sys.executable!r}, "-c", {GET_TIME!r}]\n',
        encoding="utf-8")
    async with (
        local_server(responder=f"script:{script}") as srv,
        at_terminal(tmp_path, srv.base_url + names.PATH, "--provider", "gemini",
                    events=False) as term,
    ):
        term.type("What time is it?")
        await term.line_with("user: What time is it?")
        asked = await term.line_with("?? the model wants to run tool get_time")
        assert "(command)" in asked and '"zone": "UTC"' in asked
        term.type("y")
        await term.line_with("tool get_time (command): ok")
        await term.line_with("assistant: Let me check. It is noon in UTC.")
        term.proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(term.proc.wait(), 30) == 0


@pytest.mark.slow
def test_speaking_over_the_answer_interrupts_it_and_flushes_playback(tmp_path: Path) -> None:
    """Barge-in: the service's VAD hears the user over a long answer, says ``interrupted``;
    our playback is flushed, the answer printed as interrupted, the user's words answered."""
    script = tmp_path / "script.txt"
    script.write_text("One two three four five six seven eight nine ten eleven twelve thirteen "
                      "fourteen fifteen sixteen seventeen eighteen.\nYes?\n", encoding="utf-8")
    wav = speech_wav(tmp_path / "over.wav", [TEST_PHRASES[0]], lead_s=2.5, tail_s=3.0)
    proc, records = run_gemini(tmp_path, "--mic", str(wav), stdin="Count.\n",
                               extra=f'local_responder = "script:{script}"\n')
    lines = said(proc)
    assert lines[0] == "user: Count."
    assert lines[1].startswith("assistant (interrupted): One two")
    assert "eighteen" not in lines[1]
    assert lines[2:] == [f"user: {TEST_PHRASES[0]}", "assistant: Yes?"]
    flushed = [r["event"] for r in records if r["event"].get("type") == "local.playback.flushed"]
    assert flushed
    turns = [r["event"] for r in records if r["event"].get("type") == "local.gemini.turn"]
    assert [t.get("interrupted", False) for t in turns] == [False, True, False, False]


async def test_a_refused_key_ends_the_run_with_the_close_code_and_its_fix(
        tmp_path: Path) -> None:
    """Gemini refuses a key by closing 1008 after the upgrade: the run says what the code
    means and what to do, never shows the key, and exits 1."""
    async with local_server(api_key="right-key") as srv:
        env = {**_env(tmp_path), "GEMINI_API_KEY": "wrong-key-123"}
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "--no-ui", "--server", srv.base_url + names.PATH, "--provider",
            "gemini", "--mic", "none", "--speaker", "none", "--config",
            str(_config(tmp_path)), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        out, err = await asyncio.wait_for(proc.communicate(b"Hello\n"), 60)
    assert proc.returncode == 1, (out.decode(), err.decode())
    text = out.decode()
    assert "close code 1008 (policy violation): API key not valid" in text
    assert "Fix: check the key in GEMINI_API_KEY" in text
    assert "wrong-key-123" not in text + err.decode()
