"""A theme that is not there is blamed on where it was asked for (issue 55, item 16): the
config file's key or ``VOICECHAT_THEME`` were reported as ``--theme``, a ``--no-ui`` run (which
draws no theme) failed on it, and a theme file that does not parse said only "not a theme".
Through the installed command, pointed at a port nothing listens on: exit 1 "cannot reach"
shows the run went on past the checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOWHERE = "http://127.0.0.1:9"


def voicechat(tmp_path: Path, *args: str, config: str = "",
              **env_vars: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECHAT_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), OPENAI_API_KEY="sk-test-theme-0000",
               **env_vars)
    return subprocess.run([sys.executable, "-m", "voicechat", "--config", str(cfg), "--server",
                           NOWHERE, "--mic", "none", "--speaker", "none", *args],
                          capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_a_file_key_is_named_as_the_file_and_key(tmp_path: Path) -> None:
    done = voicechat(tmp_path, config='theme = "purple"\n')
    assert done.returncode == 2, done.stderr
    cfg = tmp_path / "config.toml"
    assert (f"voicechat: config file {cfg}, key theme: 'purple' is not a theme; use one of "
            "dark, high-contrast, light") in done.stderr, done.stderr
    assert "--theme" not in done.stderr


def test_the_flag_is_named(tmp_path: Path) -> None:
    done = voicechat(tmp_path, "--theme", "purple")
    assert done.returncode == 2, done.stderr
    assert "voicechat: --theme: 'purple' is not a theme; use one of" in done.stderr


def test_the_variable_is_named(tmp_path: Path) -> None:
    done = voicechat(tmp_path, VOICECHAT_THEME="nope")
    assert done.returncode == 2, done.stderr
    assert "environment variable VOICECHAT_THEME: 'nope' is not a theme" in done.stderr


def test_no_ui_warns_and_goes_on(tmp_path: Path) -> None:
    done = voicechat(tmp_path, "--no-ui", "--turns", "1", config='theme = "purple"\n')
    assert "key theme: 'purple' is not a theme" in done.stderr
    assert "--no-ui uses no theme, so this run goes on" in done.stderr
    assert done.returncode == 1 and "cannot reach" in done.stdout + done.stderr, done


def test_a_theme_file_that_does_not_parse_says_why(tmp_path: Path) -> None:
    themes = tmp_path / "xdg" / "voicechat" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('primary = "#112233"\nname = \n', encoding="utf-8")
    done = voicechat(tmp_path, "--theme", "mine")
    assert done.returncode == 2, done.stderr
    text = " ".join(done.stderr.split())
    assert (f"--theme: the theme 'mine' does not load: theme file {themes / 'mine.toml'}: not "
            "valid TOML (") in text, text
