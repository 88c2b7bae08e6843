"""Settings precedence: flags > environment > TOML file; clear errors naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicechat.config import ConfigError, Settings, resolve


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_key_means_local_server_and_barge_in_off(tmp_path: Path) -> None:
    settings = resolve({}, env={}, config_path=write(tmp_path, ""))
    assert settings.server == "local"
    assert settings.barge_in is None  # on only when echo cancellation runs
    assert settings.aec is None  # on only with sound devices
    assert settings.transport == "webrtc"
    assert settings.mode == "vad"
    assert settings.api_key is None


def test_openai_key_in_env_selects_openai_and_key_is_hidden(tmp_path: Path) -> None:
    settings = resolve({}, env={"OPENAI_API_KEY": "sk-secret-123456"},
                       config_path=write(tmp_path, ""))
    assert settings.server == "openai"
    assert settings.api_key == "sk-secret-123456"
    assert "sk-secret" not in repr(settings)
    assert "sk-secret" not in settings.describe_server()


def test_flags_beat_env_beat_toml(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'transport = "websocket"\nmode = "ptt"\nmodel = "from-toml"\n'
                          "barge_in = true\n")
    env = {"VOICECHAT_MODE": "transcribe"}
    settings = resolve({"model": "from-flag"}, env=env, config_path=cfg)
    assert settings.model == "from-flag"  # flag wins
    assert settings.mode == "transcribe"  # env beats toml
    assert settings.transport == "websocket"  # only toml says it
    assert settings.barge_in is True
    assert resolve({"barge_in": False}, env=env, config_path=cfg).barge_in is False


def test_voicechat_section_and_session_overrides(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[voicechat]\nserver = "local"\n[voicechat.session]\n'
                          'instructions = "be brief"\n[voicechat.keys]\ntalk = "space"\n')
    settings = resolve({}, env={"OPENAI_API_KEY": "sk-x"}, config_path=cfg)
    assert settings.server == "local"  # the file picks local even though a key exists
    assert settings.session_overrides == {"instructions": "be brief"}
    assert settings.keymap == {"talk": "space"}


def test_azure_needs_endpoint_and_deployment(tmp_path: Path) -> None:
    cfg = write(tmp_path, "")
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT"):
        resolve({"server": "azure"}, env={"AZURE_OPENAI_API_KEY": "k" * 20}, config_path=cfg)
    env = {"AZURE_OPENAI_API_KEY": "k" * 20, "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/"}
    with pytest.raises(ConfigError, match="deployment"):
        resolve({}, env=env, config_path=cfg)
    settings = resolve({"model": "my-deploy"}, env=env, config_path=cfg)
    assert settings.server == "azure"
    assert settings.azure_endpoint == "https://r.openai.azure.com"
    assert settings.model == "my-deploy"


def test_bad_values_are_named(tmp_path: Path) -> None:
    cfg = write(tmp_path, "")
    with pytest.raises(ConfigError, match="--transport"):
        resolve({"transport": "carrier-pigeon"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="--server"):
        resolve({"server": "ftp://x"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve({"server": "openai"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="not found"):
        resolve({}, env={}, config_path=tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve({}, env={}, config_path=write(tmp_path, "transport = "))


def test_beta_dialect_defaults_to_a_preview_model(tmp_path: Path) -> None:
    settings = resolve({"dialect": "beta"}, env={}, config_path=write(tmp_path, ""))
    assert settings.model.startswith("gpt-4o-realtime-preview")
    assert isinstance(settings, Settings)
