"""``--dialect beta`` against OpenAI is refused before connecting (issue 37 item 2): OpenAI
retired the beta Realtime API on 2026-05-12. Azure, gateways and the local server keep it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.commands.no_ui import VOICECHAT
from voicechat.config import ConfigError, resolve

KEY = {"OPENAI_API_KEY": "sk-test-key-123456"}


@pytest.mark.parametrize("server", ["openai", "https://api.openai.com/v1",
                                    "https://API.openai.com"])
def test_beta_against_openai_is_refused_with_the_date_and_the_ga_way(
        tmp_path: Path, server: str) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        resolve({"dialect": "beta", "server": server}, env=KEY, config_path=cfg)
    said = str(caught.value)
    assert "2026-05-12" in said and "--dialect ga" in said and "gpt-realtime" in said


@pytest.mark.parametrize("server", ["local", "http://127.0.0.1:9/v1", "azure"])
def test_beta_elsewhere_is_kept(tmp_path: Path, server: str) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {**KEY, "AZURE_OPENAI_API_KEY": "k" * 20, "AZURE_OPENAI_ENDPOINT": "https://r.openai."
           "azure.com", "AZURE_OPENAI_DEPLOYMENT": "d"}
    assert resolve({"dialect": "beta", "server": server}, env=env,
                   config_path=cfg).dialect == "beta"


def test_the_cli_exits_2_before_connecting(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}
    # a server that would refuse any connection: the run must end before trying one
    done = subprocess.run(
        [str(VOICECHAT), "--no-ui", "--server", "https://api.openai.com/v1", "--dialect", "beta",
         "--mic", "none", "--speaker", "none", "--config", str(cfg)],
        env={**env, **KEY, "HTTPS_PROXY": "http://127.0.0.1:9"}, input="", capture_output=True,
        text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "retired the beta Realtime API on 2026-05-12" in done.stderr
    assert "key-123456" not in done.stderr + done.stdout
