"""Settings a clumsy user gives: each is one clear message and an exit code, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def voicechat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicechat.cli", *args], capture_output=True,
                          text=True, check=False, timeout=60, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        # path mistakes are usage errors said before anything starts (issue 55, item 8)
        (["--mic", "{tmp}", "--speaker", "none"], 2, "--mic {tmp} is a directory"),
        (["--mic", "none", "--speaker", "{tmp}"], 2, "--speaker {tmp} is a directory"),
        (["--mic", "none", "--speaker", "/nodir/out.wav"], 2,
         "--speaker /nodir/out.wav: the folder /nodir does not exist; create it"),
        (["--server", "http://user:hunter2@127.0.0.1:9/v1", "--mic", "none"], 2,
         "carries credentials"),
    ],
)
def test_bad_audio_and_server_settings(tmp_path: Path, args: list[str], code: int,
                                       words: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = voicechat("--no-ui", "--turns", "1", *argv, cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr
    assert words.replace("{tmp}", str(tmp_path)) in result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["serve", "--port", "²"], {}, "--port: '²' is not a port number"),
        (["--no-ui", "--turns", "1", "--mic", "none"], {"VOICECHAT_SPEAKER_BUFFER_MS": "²"},
         "environment variable VOICECHAT_SPEAKER_BUFFER_MS: '²' is not a whole number"),
        (["--no-ui", "--turns", "inf", "--mic", "none"], {},
         "--turns: 'inf' is not a whole number of 1 or more"),
    ],
)
def test_digit_like_characters_are_named_not_a_python_error(
        tmp_path: Path, args: list[str], env: dict[str, str], words: str) -> None:
    """"²" passes ``str.isdigit`` and fails ``int``: the command line printed "invalid
    literal for int() with base 10" (and ``inf`` an OverflowError) instead of the setting."""
    import os

    result = subprocess.run([sys.executable, "-m", "voicechat.cli", *args], capture_output=True,
                            text=True, check=False, timeout=60, cwd=tmp_path,
                            env={**os.environ, **env})
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "invalid literal" not in result.stderr and "Traceback" not in result.stderr


def test_a_missing_responder_script_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('local_responder = "script:/nonexistent/replies.txt"\n')
    result = voicechat("--no-ui", "--config", str(config), "--mic", "none", "--speaker", "none",
                       "--turns", "1", cwd=tmp_path)
    # a settings mistake before anything starts: exit 2 naming the key (it was exit 1 once the
    # embedded server had failed to start; issue 79)
    assert result.returncode == 2, result.stderr
    assert f"config file {config}, key local_responder: cannot read the responder script " \
        "'/nonexistent/replies.txt': No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr and "embedded local server" not in result.stderr


def test_validate_says_a_document_nests_too_deeply(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"type": "session.update", "session": ' + '{"a": ' * 3000 + "1"
                    + "}" * 3000 + "}")
    result = voicechat("validate", str(deep), cwd=tmp_path)
    assert result.returncode == 2
    assert "nested deeper than any Realtime event" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    json.dumps(result.stdout)  # plain text
