"""The console script's shortcut for a plain ``voicechat doctor LOG [--json]``
(``voicechat/launch.py``): the same outcome as through the parser, without loading it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from voicechat.cli import app
from voicechat.commands import doctor as doctor_command
from voicechat.launch import COMPLETE_VAR, plain_doctor_call

LOGS = Path(__file__).resolve().parents[1] / "doctor" / "logs"
ROOT = Path(__file__).resolve().parents[2]
FINDINGS = str(LOGS / "several_problems_beta.jsonl")
CLEAN = str(LOGS / "clean_ga_webrtc_logcat.txt")

#: Prints, after the command ran, which of the parser's packages the process loaded.
_PROBE = """
import sys
sys.argv = ["voicechat", *sys.argv[1:]]
from voicechat.launch import main
try:
    main()
except SystemExit as exc:
    code = exc.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"typer", "click", "pydantic"})
print("LOADED", loaded, file=sys.stderr)
sys.exit(code)
"""


def _run(argv: list[str], module: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` through ``module``'s ``main``, as the installed ``voicechat`` script runs it."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "COLUMNS": "100"}
    env.pop(COMPLETE_VAR, None)
    code = f"import sys; sys.argv[0] = 'voicechat'; from {module} import main; main()"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=False, timeout=60)


@pytest.mark.parametrize("argv", [
    ["doctor", FINDINGS],
    ["doctor", FINDINGS, "--json"],
    ["doctor", "--json", FINDINGS],
    ["doctor", CLEAN],
    ["doctor", "missing.jsonl", "--json"],
    ["doctor", "."],
    ["doctor", "empty.jsonl"],
    ["doctor", "nothing-real.txt"],
], ids=["findings", "json-after", "json-before", "clean", "missing", "directory", "empty",
        "no-events"])
def test_a_plain_doctor_call_ends_as_through_the_parser(argv: list[str],
                                                        tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "nothing-real.txt").write_text("hello\n{not json\n")
    direct = _run(argv, "voicechat.launch", tmp_path)
    parsed = _run(argv, "voicechat.cli", tmp_path)
    assert (direct.returncode, direct.stdout, direct.stderr) == \
        (parsed.returncode, parsed.stdout, parsed.stderr)
    assert direct.returncode in (0, 1, 2) and (direct.stdout or direct.stderr)


@pytest.mark.parametrize("argv", [
    ["doctor", "--help"], ["doctor"], ["doctor", "--json"], ["doctor", "-x", FINDINGS],
    ["doctor", FINDINGS, "--json", "--json"], ["doctor", FINDINGS, CLEAN],
    ["--verbose", "doctor", FINDINGS], ["doctor", "--", FINDINGS], ["doctor", ""],
    ["doctor", FINDINGS, "--jso"], ["--help"],
], ids=["help", "no-log", "flag-only", "unknown-flag", "repeated-flag", "two-logs",
        "global-option", "double-dash", "empty-path", "misspelt-flag", "app-help"])
def test_anything_else_goes_to_the_parser(argv: list[str], tmp_path: Path) -> None:
    assert plain_doctor_call(argv) is None
    direct = _run(argv, "voicechat.launch", tmp_path)
    parsed = _run(argv, "voicechat.cli", tmp_path)
    assert (direct.returncode, direct.stdout, direct.stderr) == \
        (parsed.returncode, parsed.stdout, parsed.stderr)


def test_the_shortcut_does_not_load_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop(COMPLETE_VAR, None)
    probe = [sys.executable, "-c", _PROBE]
    plain = subprocess.run([*probe, "doctor", FINDINGS, "--json"], capture_output=True,
                           text=True, env=env, check=False, timeout=60)
    assert plain.returncode == 1 and '"rule": "concurrent-response"' in plain.stdout
    assert plain.stderr.splitlines()[-1] == "LOADED []"
    helped = subprocess.run([*probe, "doctor", "--help"], capture_output=True, text=True,
                            env=env, check=False, timeout=60)
    assert helped.returncode == 0 and "Usage: voicechat doctor" in helped.stdout
    assert "'typer'" in helped.stderr.splitlines()[-1]


def test_shell_completion_always_goes_to_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, COMPLETE_VAR: "complete_bash", "COMP_WORDS": "voicechat doctor x",
           "COMP_CWORD": "2", "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    code = "import sys; sys.argv[0] = 'voicechat'; from voicechat.launch import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "doctor", "x"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, check=False, timeout=60)
    # The completion protocol answers (exit 0, nothing diagnosed), not the doctor (exit 2).
    assert done.returncode == 0 and "no such file" not in done.stderr, done.stderr
    assert plain_doctor_call(["doctor", "x"]) is not None  # without the variable it would


def _parsed_by_typer(argv: list[str]) -> tuple[Path, bool] | None:
    """The arguments typer's parser runs the doctor with for ``argv``, or ``None`` when it does
    not run the doctor (a usage error, help, another command …)."""
    calls: list[tuple[Path, bool]] = []

    def run(log: Path, *, json_output: bool) -> int:
        calls.append((log, json_output))
        return 0

    with patch.object(doctor_command, "run", run):
        result = CliRunner().invoke(app, argv)
    assert len(calls) <= 1
    return calls[0] if calls and result.exit_code == 0 else None


_TOKENS = st.sampled_from(["doctor", "--json", "log.jsonl", "-", "--", "-v", "--help", "",
                           "a b", "--json=1", "doctor", "x.txt", "-json", "--verbose"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS | st.text(max_size=6), max_size=4).flatmap(
    lambda argv: st.sampled_from([argv, ["doctor", *argv[:1]], ["doctor", *argv[:2]]])))
def test_what_the_shortcut_takes_the_parser_parses_the_same(argv: list[str]) -> None:
    taken = plain_doctor_call(argv)
    if taken is not None:
        assert _parsed_by_typer(argv) == taken


def test_the_parser_check_tells_a_doctor_call_from_anything_else() -> None:
    assert _parsed_by_typer(["doctor", "a.jsonl", "--json"]) == (Path("a.jsonl"), True)
    assert _parsed_by_typer(["doctor", "--json"]) is None
    assert _parsed_by_typer(["validate", "a.json"]) is None


@pytest.mark.parametrize("module", ["voicechat.launch", "voicechat.cli"])
def test_a_reader_that_went_away_ends_it_quietly(module: str, tmp_path: Path) -> None:
    """``voicechat doctor LOG | head``-like: stdout closed before the report is written. Both
    ways exit 1 without a traceback."""
    code = f"import sys; sys.argv[0] = 'voicechat'; from {module} import main; main()"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop(COMPLETE_VAR, None)
    child = subprocess.Popen([sys.executable, "-c", code, "doctor", FINDINGS],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # long before the child has imported the doctor
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) == 1
    assert err == ""
