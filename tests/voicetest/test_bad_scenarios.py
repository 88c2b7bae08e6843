"""Bad scenarios exit 2 naming the file, the line and the key, before anything connects, and
without a traceback (issue 52's acceptance); a family that cannot express a key says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.voicetest.runner import voicechat_test

CASES = {
    "typo": ("turns:\n  - type: hi\n    expct:\n      reply: {contains: [hi]}\n",
             "typo.yaml:3: turns[0].expct: unknown key 'expct' (did you mean 'expect'?)"),
    "wrong type": ("turns:\n  - type: hi\n    silence_ms: soon\n",
                   "wrong type.yaml:3: turns[0].silence_ms: expected a number, got 'soon'"),
    "missing audio": ("turns:\n  - audio: clips/nowhere.wav\n",
                      "missing audio.yaml:2: audio: no such file: "),
    "broken yaml": ("turns:\n  - type: hi\n   expect: [\n",
                    "broken yaml.yaml:3: "),
    "bad session": ("session:\n  turn_detection: {type: loud_vad}\nturns:\n  - type: hi\n",
                    "bad session.yaml: session: "),
    # at the voice key's line, not the say line (issue 79)
    "unknown voice": ("turns:\n  - say: hello\n    voice: no-such-voice-xx\n",
                      "unknown voice.yaml:3: turns[0].voice: espeak-ng has no voice "
                      "'no-such-voice-xx'"),
    # only the scenario's tools reach a test run: another name is a typo (issue 79)
    "unknown tool": ("tools:\n  - name: check_availability\n    result: {free: true}\n"
                     "turns:\n  - type: hi\n    expect:\n"
                     "      tool_calls: [{name: check_availabilty}]\n",
                     "unknown tool.yaml:7: turns[0].expect.tool_calls[0].name: "
                     "'check_availabilty' is not one of the scenario's tools "
                     "(check_availability) (did you mean 'check_availability'?)"),
    # YAML's 5 is a number: the reply's "five" or "5"? Said, with both fixes (issue 79)
    "bare number": ("turns:\n  - type: how many?\n    expect:\n      reply: {contains: [5]}\n",
                    "bare number.yaml:4: turns[0].expect.reply.contains[0]: 5 is a number: "
                    "quote it ('5')"),
    # the local server's recogniser hears English dictionary words only: said at lint, with
    # the line, not at run time as exit 1 (issue 79)
    "digits": ("turns:\n  - say: Book a table for 7 people\n",
               "digits.yaml:2: turns[0].say: the local server's recogniser has no '7' in its "
               "English dictionary: spell numbers and symbols out as English words"),
    "french": ("turns:\n  - say: Hello\n  - say: Je voudrais une table\n",
               "french.yaml:3: turns[1].say: the local server's recogniser has no"),
    # a tab in the indentation: YAML's own words, and the fix (issue 79)
    "tabs": ("turns:\n\t- type: hi\n",
             "tabs.yaml:2: not valid YAML: found character '\\t' that cannot start any token: "
             "YAML indents with spaces, not tabs"),
    # a tool's parameters are a JSON Schema: checked at lint, not by the server (issue 79)
    "bad schema": ("tools:\n  - name: check\n    parameters: {type: objekt}\n    result: ok\n"
                   "turns:\n  - type: hi\n",
                   "bad schema.yaml:3: tools[0].parameters.type: 'objekt' is not a JSON Schema "
                   "type: one of array, boolean, integer, null, number, object, string (did "
                   "you mean 'object'?)"),
    "unknown variant": ("turns:\n  - say: hello\n    voice: en-us+zz9\n",
                        "unknown variant.yaml:3: turns[0].voice: espeak-ng has no variant "
                        "'zz9'"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_scenario_is_exit_2_with_where(tmp_path: Path, name: str) -> None:
    text, said = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    proc, report = voicechat_test(tmp_path, str(path), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and report is None
    assert "embedded local server" not in proc.stdout  # nothing started


def test_every_broken_file_of_a_folder_is_named_at_once_in_file_order(tmp_path: Path) -> None:
    """A folder with two broken files named only the first: each fix cost a run (issue 79)."""
    folder = tmp_path / "suite"
    folder.mkdir()
    for name, (text, _) in (("b.yaml", CASES["wrong type"]), ("a.yaml", CASES["typo"]),
                            ("c.yaml", ("turns:\n  - type: hi\n", ""))):
        (folder / name).write_text(text, encoding="utf-8")
    proc, report = voicechat_test(tmp_path, str(folder), timeout=60)
    assert proc.returncode == 2 and report is None, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"voicechat test: {folder / 'a.yaml'}:3: turns[0].expct: unknown key 'expct' (did you "
        "mean 'expect'?); known here: say, type, audio, voice, rate, level_db, noise_db, "
        "silence_ms, interrupt_after_ms, expect",
        f"voicechat test: {folder / 'b.yaml'}:3: turns[0].silence_ms: expected a number, got "
        "'soon'",
        "voicechat test: 2 problems; nothing ran"], proc.stderr
    assert "embedded local server" not in proc.stdout


def test_a_paid_service_needs_yes_and_shows_what_it_may_cost(tmp_path: Path) -> None:
    """``OPENAI_API_KEY`` set for another job made the default server OpenAI's, and a whole
    suite ran there unasked (issue 79). No terminal, no --yes: refused, exit 2."""
    scenario = tmp_path / "hi.yaml"
    scenario.write_text("turns:\n  - type: hi\n  - type: bye\n", encoding="utf-8")
    key = {"OPENAI_API_KEY": "sk-test-not-a-real-key-0000"}
    proc, report = voicechat_test(tmp_path, str(scenario), "--repeat", "2", timeout=60,
                                  extra_env=key)
    assert proc.returncode == 2 and report is None, proc.stdout + proc.stderr
    assert ("voicechat test: 2 scenario run(s), at most 120 s of conversation against openai: "
            "about $") in proc.stdout
    assert ("pass --yes to run (no --server was given: an API key in the environment chose "
            "it; --server local runs offline)") in proc.stderr
    # asked for by name, with --yes: the line is shown and the run goes on (here to a host
    # that cannot exist: it could not run, exit 3)
    proc, _ = voicechat_test(tmp_path, str(scenario), "--server", "https://voicechat.invalid",
                             "--yes", timeout=120, extra_env=key)
    assert "at most 60 s of conversation against https://voicechat.invalid: " in proc.stdout
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "sk-test" not in proc.stdout + proc.stderr


def test_a_binary_file_and_a_missing_path(tmp_path: Path) -> None:
    blob = tmp_path / "clip.yaml"
    blob.write_bytes(b"\x00\xff\xfe binary")
    proc, _ = voicechat_test(tmp_path, str(blob), timeout=60)
    assert proc.returncode == 2 and "clip.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc, _ = voicechat_test(tmp_path, str(tmp_path / "nowhere"), timeout=60)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc, _ = voicechat_test(tmp_path, str(empty), timeout=60)
    assert proc.returncode == 2 and "no scenario files" in proc.stderr
    proc, _ = voicechat_test(tmp_path, timeout=60)
    assert proc.returncode == 2 and "name a scenario file" in proc.stderr


def test_a_recording_that_is_not_audio_is_named_once_in_ffmpeg_s_words(tmp_path: Path) -> None:
    """It named itself twice and showed PyAV's errno, "[Errno 1094995529] Invalid data found
    when processing input: 'PATH'" (issue 79, item 20)."""
    (tmp_path / "clip.mp3").write_bytes(bytes(range(256)) * 4)
    scenario = tmp_path / "clip.yaml"
    scenario.write_text("turns:\n  - audio: clip.mp3\n", encoding="utf-8")
    proc, _ = voicechat_test(tmp_path, str(scenario), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = proc.stderr.strip().splitlines()[-1]
    clip = str(tmp_path / "clip.mp3")
    assert said == (f"voicechat test: {scenario}:2: turns[0].audio: {clip}: cannot decode it as "
                    "audio (Invalid data found when processing input); WAV, MP3, FLAC, "
                    "Ogg/Opus, AAC and anything else FFmpeg reads will do"), said


def test_every_output_path_is_checked_before_anything_runs(tmp_path: Path) -> None:
    """--junit and --json were checked only after the whole suite had run, and --keep onto a
    file ended in a traceback after the run (issue 79): each is now exit 2 at once, with the
    fix, and nothing is started."""
    scenario = tmp_path / "ok.yaml"
    scenario.write_text("turns:\n  - type: hi\n", encoding="utf-8")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n", encoding="utf-8")
    cases = {
        ("--junit", str(tmp_path / "no-such-folder" / "junit.xml")):
            "the folder " + str(tmp_path / "no-such-folder") + " does not exist",
        ("--junit", str(a_file / "junit.xml")): f"{a_file} is a file, not a folder",
        ("--junit", str(tmp_path)): f"--junit {tmp_path} is a folder: name a file in it",
        ("--keep", str(a_file)): f"--keep {a_file} is a file: name a folder",
    }
    for args, said in cases.items():
        proc, report = voicechat_test(tmp_path, str(scenario), *args, timeout=60)
        assert proc.returncode == 2, (args, proc.stdout + proc.stderr)
        assert said in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and report is None
        assert "embedded local server" not in proc.stdout  # nothing started
    assert a_file.read_text(encoding="utf-8") == "mine\n"  # and nothing lost
    # a --keep folder that is not there yet is made, as before
    keep = tmp_path / "kept" / "runs"
    proc, _ = voicechat_test(tmp_path, str(scenario), "--keep", str(keep), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = keep / "ok"
    first = {name: (run / name).read_bytes() for name in ("events.jsonl", "user.wav")}
    # the log says no sound reaches the scripted mic, so the doctor never reads echo there
    sinks = [json.loads(line)["event"] for line in first["events.jsonl"].splitlines()
             if b"local.speaker.sink" in line]
    assert [s["echo_path"] for s in sinks] == [False], sinks
    assert (run / "assistant.wav").exists()
    # a second run into it keeps the first one's files as one set: its log kept its audio,
    # which was written over (issue 79)
    proc, _ = voicechat_test(tmp_path, str(scenario), "--keep", str(keep), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (run / "events.1.jsonl").read_bytes() == first["events.jsonl"]
    assert (run / "user.1.wav").read_bytes() == first["user.wav"]
    assert (run / "assistant.1.wav").exists() and (run / "events.jsonl").exists()
    assert not (run / "events.2.jsonl").exists()


def test_a_run_that_could_not_reach_its_server_is_exit_3_not_a_failure(tmp_path: Path) -> None:
    """Exit 1 said both "the agent answered wrong" and "the run could not reach it"; CI now
    tells them apart as JUnit's <failure> and <error> do (issue 79)."""
    import socket

    scenario = tmp_path / "ok.yaml"
    scenario.write_text("turns:\n  - type: hi\n    expect:\n      reply: {contains: [hi]}\n",
                        encoding="utf-8")
    with socket.socket() as held:  # bound, never listening: refused
        held.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{held.getsockname()[1]}"
        proc, report = voicechat_test(tmp_path, str(scenario), "--server", server,
                                      "--transport", "websocket", timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert report is not None and report["summary"]["error"] == 1
    assert "could not start the conversation" in proc.stdout


def test_a_malformed_call_in_the_responder_script_is_exit_2_with_its_line(
        tmp_path: Path) -> None:
    """The script's ``@call`` was parsed when the embedded server started: the run ended 3
    ("could not run") where the how-to promises exit 2 for a broken file (issue 79, item 20).
    From the scenario's key, and from the config's when the scenario names none."""
    (tmp_path / "replies.script").write_text(
        "Hello there.\nLet me check. @call get_weather {city: Paris}\n", encoding="utf-8")
    turns = "turns:\n  - type: hi\n"
    own = tmp_path / "own.yaml"
    own.write_text("local_responder: script:replies.script\n" + turns, encoding="utf-8")
    proc, report = voicechat_test(tmp_path, str(own), timeout=60)
    assert proc.returncode == 2 and report is None, proc.stdout + proc.stderr
    assert ("own.yaml: local_responder: responder script "
            f"'{tmp_path / 'replies.script'}' line 2: the arguments of '@call get_weather' "
            "are not valid JSON") in proc.stderr, proc.stderr
    assert "Fix: write a call as '@call NAME {JSON object}'" in proc.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_text(turns, encoding="utf-8")
    proc, report = voicechat_test(
        tmp_path, str(plain), timeout=60,
        config=f'local_responder = "script:{tmp_path / "replies.script"}"\n')
    assert proc.returncode == 2 and report is None, proc.stdout + proc.stderr
    assert "plain.yaml: config file " in proc.stderr and ", key local_responder: " in proc.stderr
    assert "line 2: the arguments of '@call get_weather'" in proc.stderr
    assert "embedded local server" not in proc.stdout and "Traceback" not in proc.stderr
