"""``voicechat config show`` prints what a user can paste into the config file (issue 55, item
14): the file's own keys as TOML, every provider's key said to be set or not (never printed).

Through the installed command in a subprocess, and its output loaded back by the real loader."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from voicechat.commands.config_toml import toml_value
from voicechat.config import resolve

CONFIG = '''transport = "websocket"
speed = 1.2
local_asr_phrases = ["hello world", "ok"]
xai_api_key = "xai-file-key-0000000000000000"
[voicechat.keys]
talk = "t"
[voicechat.session]
audio = {output = {speed = 1.1}}
[voicechat.prices."gpt-4o-x"]
text_input = 4.0
[voicechat.mcp_servers.files]
command = "npx"
env = {TOKEN = "plain-token-value-42"}
[voicechat.tools.date]
command = ["date", "-u"]
description = "the \\"date\\""
'''
SECRETS = {"OPENAI_API_KEY": "sk-proj-envkey1234567890abcdef",
           "GEMINI_API_KEY": "gm-envkey-1234567890",
           "AZURE_VOICELIVE_API_KEY": "vl-envkey-1234567890"}


def show(tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(SECRETS, XDG_CONFIG_HOME=str(tmp_path / "xdg"), VOICECHAT_MODE="ptt")
    return subprocess.run([sys.executable, "-m", "voicechat", "config", "show", "--config",
                           str(config)], capture_output=True, text=True, env=env, timeout=60)


def test_its_output_saved_as_the_config_file_loads_back(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    done = show(tmp_path, config)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for rejected in ("keymap", "session_overrides", "api_key =", "resume", "notes"):
        assert f"\n{rejected}" not in out and f"# {rejected}" not in out, rejected
    copy = tmp_path / "copy.toml"
    copy.write_text(out, encoding="utf-8")
    again = resolve({}, env={}, config_path=copy)  # the real loader: no unknown key, no type
    assert again.keymap == {"talk": "t"} and again.speed == 1.2
    assert again.session_overrides == {"audio": {"output": {"speed": 1.1}}}
    assert again.tools["date"]["description"] == 'the "date"'
    assert again.mode == "ptt" and again.transport == "websocket"
    assert show(tmp_path, copy).returncode == 0


def test_every_providers_key_is_said_set_or_not_and_never_printed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = show(tmp_path, config).stdout
    assert "# openai_api_key = \"…\"  # set (environment variable OPENAI_API_KEY" in out
    assert "# gemini_api_key = \"…\"  # set (environment variable GEMINI_API_KEY" in out
    assert "# voicelive_api_key = \"…\"  # set (environment variable AZURE_VOICELIVE" in out
    assert f"# xai_api_key = \"…\"  # set (config file {config}, key xai_api_key" in out
    assert "# azure_api_key = \"…\"  # not set" in out
    for secret in (*SECRETS.values(), "xai-file-key", "plain-token-value"):
        assert secret not in out, secret
    assert 'env = { TOKEN = "(hidden)" }' in out


@given(st.recursive(
    st.text() | st.integers() | st.booleans() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8))
def test_any_setting_value_reads_back_as_toml(value: object) -> None:
    """Whatever a value holds (control characters, DEL, quotes, keys with dots), the line
    ``config show`` writes loads back to the same value."""
    assert tomllib.loads(f"k = {toml_value(value)}")["k"] == value
