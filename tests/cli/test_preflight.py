"""Mistakes that used to slip through (issue 36, item 8): each is exit 2 with the problem and
the fix, before anything connects, and loses nothing.

"Before anything connects" is shown by pointing the client at a port nothing listens on: had
the run got as far as connecting, it would say "cannot reach" and exit 1. In-process through
typer's runner (the same ``main`` the installed command runs), so a FIFO wait can be shortened.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.commands.no_ui import PROVIDER_VARIABLES, VOICECHAT
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.audio import files
from voicechat.cli import app

runner = CliRunner()
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers there


def run(tmp_path: Path, *args: str, config: str = "") -> tuple[int, str]:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(config, encoding="utf-8")
    result = runner.invoke(app, ["--no-ui", "--server", NOWHERE, "--config", str(cfg),
                                 "--speaker", "none", *args],
                           input="", env={"OPENAI_API_KEY": "sk-test-preflight-0000"})
    return result.exit_code, result.output


@pytest.mark.parametrize(("args", "config", "expected"), [
    ((), '[voicechat.session]\nturn_detection = {type = "server_vad"}\n',
     "[voicechat.session] in your config: Unknown parameter: 'session.turn_detection'. (param "
     "session.turn_detection); 'turn_detection' is the beta name; in GA it is "
     "'session.audio.input.turn_detection'"),
    ((), '[voicechat.session]\naudio = {output = {speed = 9}}\n',
     "[voicechat.session] in your config: Invalid 'session.audio.output.speed'"),
    ((), '[voicechat.keys]\nexplode = "z"\n',
     "[keys] 'explode' is not a key binding; valid ids: barge_in, cancel"),
    (("--speaker", "out.xyz"), "",
     "--speaker out.xyz: voicechat cannot write .xyz files; give a file ending in .wav"),
    (("--model", ""), "", "--model: the model name is empty; give one (e.g. gpt-realtime)"),
])
def test_a_mistake_stops_the_start_with_its_fix(
        tmp_path: Path, args: tuple[str, ...], config: str, expected: str) -> None:
    code, out = run(tmp_path, "--mic", "none", *args, config=config)
    assert code == 2, out
    assert expected in out.replace("\n", " "), out
    assert "cannot reach" not in out and "sk-test" not in out


def test_a_good_session_table_passes_the_check(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--mic", "none",
                    config='[voicechat.session]\naudio = {output = {speed = 1.2}}\n')
    assert code == 1 and "cannot reach http://127.0.0.1:9" in out  # it got as far as connecting


def test_an_empty_or_header_only_wav_is_named(tmp_path: Path) -> None:
    empty = tmp_path / "q.wav"
    empty.write_bytes(b"")
    code, out = run(tmp_path, "--mic", str(empty))
    assert code == 2 and "q.wav: the file is empty (0 bytes); record or convert some " \
        "speech into it" in out.replace("\n", " "), out
    with wave.open(str(empty), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24000)
    code, out = run(tmp_path, "--mic", str(empty))
    assert code == 2 and "q.wav: holds no audio" in out, out
    assert empty.exists()  # nothing lost


def test_a_fifo_with_no_writer_is_an_error_not_a_hang(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "FIFO_WAIT_S", 0.5)
    fifo = tmp_path / "mic.wav"
    os.mkfifo(fifo)
    code, out = run(tmp_path, "--mic", str(fifo))
    assert code == 2, out
    assert "mic.wav is a FIFO: reading the audio written to it (waiting up to 0.5 s" in out
    assert "a FIFO, and nothing was written to it for 0.5 s; start the program that writes " \
        "the audio first" in out.replace("\n", " "), out


def test_a_fifo_with_a_writer_is_read_whole(tmp_path: Path) -> None:
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1])
    fifo = tmp_path / "mic.wav"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.3)
        with open(fifo, "wb") as out:
            data = wav.read_bytes()
            for start in range(0, len(data), 4096):  # in pieces, as a pipeline writes
                out.write(data[start:start + 4096])

    writer = threading.Thread(target=write)
    writer.start()
    code, out = run(tmp_path, "--mic", str(fifo))
    writer.join()
    assert code == 1 and "cannot reach http://127.0.0.1:9" in out, out  # read, then connecting


@pytest.mark.parametrize(("args", "expected"), [
    (("--mic", "{dir}"), "--mic {dir} is a directory: pass an audio file inside it, a sound "
     "device's name or number (`voicechat devices` lists them), or none"),
    (("--mic", "{tmp}/missing.wav"), "--mic {tmp}/missing.wav: no such file; check the path"),
    (("--mic", "{tmp}/text.txt"), "--mic: {tmp}/text.txt: cannot decode it as audio"),
    (("--record", "{dir}"), "--record {dir} is a directory: pass a file name inside it, such "
     "as {dir}/log.jsonl"),
    (("--record", "{tmp}/nofolder/log.jsonl"), "--record {tmp}/nofolder/log.jsonl: the folder "
     "{tmp}/nofolder does not exist; create it (mkdir -p {tmp}/nofolder), or choose another "
     "--record path"),
    (("--speaker", "{tmp}/nofolder/out.wav"), "--speaker {tmp}/nofolder/out.wav: the folder "
     "{tmp}/nofolder does not exist; create it (mkdir -p {tmp}/nofolder), or pass a sound "
     "device's name or number"),
    (("--speaker", "{dir}"), "--speaker {dir} is a directory: pass a file name inside it (such "
     "as {dir}/answer.wav)"),
    (("--speaker", "{tmp}/out.xyz"), "--speaker {tmp}/out.xyz: voicechat cannot write .xyz"),
])
def test_a_path_mistake_is_a_usage_error_before_the_server_starts(
        tmp_path: Path, args: tuple[str, str], expected: str) -> None:
    """Issue 55, item 8: the installed command with its embedded server; a folder or a missing
    folder exited 1 once the server had started (the speaker's naming no flag, no fix)."""
    folder = tmp_path / "adir"
    folder.mkdir()
    (tmp_path / "text.txt").write_text("not audio\n", encoding="utf-8")
    (tmp_path / "cfg.toml").write_text("", encoding="utf-8")
    def filled(text: str) -> str:
        return text.format(dir=folder, tmp=tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    proc = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "local", "--config", str(tmp_path / "cfg.toml"),
         "--mic", "none", "--speaker", "none", *map(filled, args)],
        input="hello\n", capture_output=True, text=True, timeout=60, env=env, check=False)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 2, said
    assert f"voicechat: {filled(expected)}" in said.replace("\n", " "), said
    assert "embedded local server" not in said and "Traceback" not in said, said
    assert not (tmp_path / "nofolder").exists() and list(folder.iterdir()) == []


def test_a_no_ui_run_with_no_keys_or_theme_never_imports_textual(tmp_path: Path) -> None:
    """The checks of the TUI's own settings load Textual only when a keymap or a theme is set:
    a --no-ui run (every `voicechat test` and `load` caller) never draws, and Textual was a
    tenth of its start-up (issue 77: a run that cannot connect, 1.54 s -> 1.35 s of CPU)."""
    probe = ("import sys, runpy\n"
             "sys.argv = ['voicechat', '--no-ui', '--server', 'http://127.0.0.1:9',\n"
             "            '--mic', 'none', '--speaker', 'none', '--transport', 'websocket']\n"
             "try:\n"
             "    runpy.run_module('voicechat', run_name='__main__')\n"
             "except SystemExit as end:\n"
             "    print('exit', end.code, 'textual' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    done = subprocess.run([str(Path(VOICECHAT).parent / "python"), "-c", probe],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.stdout.strip().splitlines()[-1] == "exit 1 False", done.stdout + done.stderr


def test_a_malformed_call_in_the_local_responder_script_stops_the_start(
        tmp_path: Path) -> None:
    """The embedded server parsed its script when it started: exit 1 once the run was under
    way, the script's line named but not the setting (issue 79, item 20)."""
    script = tmp_path / "replies.script"
    script.write_text("Hi.\n@call 9lives! {}\n", encoding="utf-8")
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'local_responder = "script:{script}"\n', encoding="utf-8")
    result = runner.invoke(app, ["--no-ui", "--server", "local", "--config", str(cfg),
                                 "--mic", "none", "--speaker", "none"], input="", env={})
    out = result.output.replace("\n", " ")
    assert result.exit_code == 2, out
    assert (f"config file {cfg}, key local_responder: responder script '{script}' line 2: "
            "'@call' needs a function name") in out, out
    assert "embedded local server" not in out
