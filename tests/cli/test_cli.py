"""The command line as a new user meets it: --version, help, completion, option errors, config.

Run in-process with typer's test runner; nothing here starts a conversation (every case stops at
option or config checking, or is a command that prints and exits).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voicechat.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                 "VOICECHAT_MODE", "VOICECHAT_SERVER", "VOICECHAT_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)


def test_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"voicechat {version('voicechat')}"


def test_help_names_environment_variables_completion_and_plain_usage() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    text = result.output
    for variable in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                     "AZURE_OPENAI_DEPLOYMENT", "VOICECHAT_SERVER", "VOICECHAT_TRANSPORT",
                     "VOICECHAT_MODE", "VOICECHAT_MODEL", "VOICECHAT_DIALECT", "VOICECHAT_MIC",
                     "VOICECHAT_SPEAKER", "VOICECHAT_THEME", "VOICECHAT_VOICE",
                     "VOICECHAT_BARGE_IN"):
        assert variable in text, variable
    assert "--install-completion" in text
    assert "--version" in text and "--log-level" in text and "-v, --verbose" in text
    assert "config" in text
    for command, metavar in (("doctor", "LOG"), ("replay", "LOG"), ("validate", "FILE")):
        usage = runner.invoke(app, [command, "--help"]).output.splitlines()[0]
        assert usage.endswith(f"[OPTIONS] {metavar}"), usage
        assert "{" not in usage


def test_help_and_serve_help_name_the_server_key_variable_alike() -> None:
    """``voicechat --help`` said VOICECHAT_SERVER_KEY while ``serve --help`` and the README
    said VOICECHAT_SERVER_API_KEY (both work); the main help now names the one serve prefers."""
    main = runner.invoke(app, ["--help"]).output
    serve = runner.invoke(app, ["serve", "--help"]).output
    assert "VOICECHAT_SERVER_API_KEY" in serve
    assert "VOICECHAT_SERVER_API_KEY" in main
    assert "VOICECHAT_SERVER_KEY " not in main


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--mode", "xx"], "--mode: 'xx' is not one of vad, ptt, transcribe"),
        (["--transport", "pigeon"], "--transport: 'pigeon' is not one of webrtc, websocket"),
        (["--turns", "many"], "--turns: 'many' is not a whole number"),
        (["serve", "--port", "abc"], "--port: 'abc' is not a port number"),
        (["serve", "--voice", "opera"], "--voice: 'opera' is not one of espeak, tone"),
        (["validate", "x.json", "--dialect", "v2"], "--dialect: 'v2' is not one of ga, beta"),
        (["replay", "x.jsonl", "--speed", "fast"], "--speed: 'fast' is not a number"),
        (["--log-level", "loud"], "--log-level: 'loud' is not one of"),
        (["--transcription-language", "auto", "--no-ui"],
         "--transcription-language: 'auto' is not a language code: to let the model detect"),
    ],
)
def test_option_errors_repeat_the_value_and_exit_2(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Value error" not in result.output


def test_a_bad_config_value_blames_the_file_not_a_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('mode = "xx"\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(cfg), "--no-ui"])
    assert result.exit_code == 2
    assert f"config file {cfg}, key mode: 'xx'" in result.output
    assert "--mode" not in result.output
    cfg.write_text('sever = "openai"\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(cfg), "--no-ui"])
    assert result.exit_code == 2
    assert "unknown key 'sever' (did you mean 'server'?)" in result.output


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECHAT_MODE", "loud")
    result = runner.invoke(app, ["--no-ui"])
    assert result.exit_code == 2
    assert "environment variable VOICECHAT_MODE: 'loud'" in result.output


def test_config_path_prints_the_file_and_the_theme_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "path"])
    assert result.exit_code == 0
    base = tmp_path / "xdg" / "voicechat"
    assert f"config file:  {base / 'config.toml'}" in result.output
    assert f"theme folder: {base / 'themes'}" in result.output


def test_config_show_prints_settings_with_their_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "xdg" / "voicechat" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('transport = "websocket"\nopenai_api_key = "sk-secret-1234567890"\n'
                   '[keys]\ntalk = "t"\n', encoding="utf-8")
    monkeypatch.setenv("VOICECHAT_MODE", "ptt")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert f'transport = "websocket"  # config file {cfg}, key transport' in result.output
    assert 'mode = "ptt"  # environment variable VOICECHAT_MODE' in result.output
    assert 'keys = { talk = "t" }  # config file' in result.output
    assert (f'# openai_api_key = "…"  # set (config file {cfg}, key openai_api_key; never '
            'printed)') in result.output
    assert "sk-secret" not in result.output
    cfg.write_text("barge_in = \"no\"\n", encoding="utf-8")
    bad = runner.invoke(app, ["config", "show"])
    assert bad.exit_code == 2
    assert "key barge_in: expected a boolean" in bad.output


def test_log_levels_keep_the_webrtc_libraries_quiet_unless_asked() -> None:
    import io
    import logging

    from voicechat.commands import logs

    assert logs.level_for(0, None, "info") == logging.INFO
    assert logs.level_for(1, None, "warning") == logging.INFO
    assert logs.level_for(5, None, "warning") == logging.DEBUG
    assert logs.level_for(2, "error", "info") == logging.ERROR
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aioice").level)
    try:
        out = io.StringIO()
        logs.configure(logging.INFO, logs.library_level_for(logging.INFO, 0), stream=out)
        logging.getLogger("aioice.ice").info("Connection(0) Check CandidatePair succeeded")
        logging.getLogger("voicechat.server").info("session started")
        assert "session started" in out.getvalue()
        assert "CandidatePair" not in out.getvalue()
        logs.configure(logging.INFO, logs.library_level_for(logging.INFO, 1), stream=out)
        logging.getLogger("aioice.ice").info("Connection(0) Check CandidatePair succeeded")
        assert "CandidatePair" in out.getvalue()
    finally:
        root.handlers[:], level, aioice = saved
        root.setLevel(level)
        logging.getLogger("aioice").setLevel(aioice)
        for name in logs.NOISY_LIBRARIES[1:]:
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_shell_completion_offers_the_choices() -> None:
    import os
    import subprocess
    import sys

    voicechat = Path(sys.executable).parent / "voicechat"
    env = {**os.environ, "_VOICECHAT_COMPLETE": "complete_bash", "COMP_WORDS": "voicechat --mode ",
           "COMP_CWORD": "2"}
    out = subprocess.run([str(voicechat)], env=env, capture_output=True, text=True, timeout=60,
                         check=True)
    assert out.stdout.split() == ["vad", "ptt", "transcribe"]
    env.update(COMP_WORDS="voicechat con", COMP_CWORD="1")
    out = subprocess.run([str(voicechat)], env=env, capture_output=True, text=True, timeout=60,
                         check=True)
    assert out.stdout.split() == ["config"]


def _environment_section(text: str) -> set[str]:
    """The variables the main help's environment list names (``_SPEED`` in the
    ``VOICECHAT_*`` group is ``VOICECHAT_SPEED``)."""
    import re

    section = text[text.index("Environment variables"):]
    names = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", section))
    names |= {"VOICECHAT" + short for short in re.findall(r"(?<![A-Z0-9])_[A-Z0-9_]+\b", section)}
    return names


def test_the_help_lists_every_variable_voicechat_reads_for_a_setting() -> None:
    """Generated from the declarations (issue 55: no Gemini key, no VOICECHAT_SPEED, _AEC,
    _CONNECT_TIMEOUT, _LINK_TIMEOUT, _API): every ``env="…"`` the settings are read with, in
    any module, is named in the list, and no provider is "not yet"."""
    import re

    read = set()
    for path in Path(__file__).resolve().parents[2].joinpath("voicechat").rglob("*.py"):
        read |= set(re.findall(r'\benv="([A-Z][A-Z0-9_]+)"', path.read_text(encoding="utf-8")))
    assert {"GEMINI_API_KEY", "GOOGLE_API_KEY", "VOICECHAT_SPEED", "VOICECHAT_AEC"} <= read
    text = runner.invoke(app, ["--help"]).output
    missing = read - _environment_section(text)
    assert not missing, f"voicechat --help does not list {sorted(missing)}"
    assert "not yet" not in text
    summary = " ".join(text.split())
    for family in ("Realtime", "GPT-Live", "Gemini Live", "xAI", "Voice Live"):
        assert family in summary, family
