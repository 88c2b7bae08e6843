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


# --- the typed schema (issue 14 item 11) and where a bad value came from (issue 13 item 6) --


def test_unknown_key_is_an_error_naming_it_and_the_closest_known_one(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'sever = "openai"\n')
    with pytest.raises(ConfigError) as err:
        resolve({}, env={"OPENAI_API_KEY": "sk-x"}, config_path=cfg)
    message = str(err.value)
    assert "unknown key 'sever'" in message
    assert "did you mean 'server'?" in message
    assert str(cfg) in message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('barge_in = "false"\n', "barge_in", "a boolean"),
        ('turns = "many"\n', "turns", "an integer"),
        ('model = ["a"]\n', "model", "a string"),
        ("record = 5\n", "record", "a string"),
        ("local_asr_phrases = [1, 2]\n", "local_asr_phrases", "a list of strings"),
        ('keys = "space"\n', "keys", "a table"),
    ],
)
def test_wrong_types_name_the_file_the_key_and_the_type(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        resolve({}, env={}, config_path=cfg)
    message = str(err.value)
    assert f"config file {cfg}, key {key}: expected {expected}" in message


def test_booleans_are_booleans_and_device_indexes_are_accepted(tmp_path: Path) -> None:
    settings = resolve({}, env={}, config_path=write(tmp_path, "barge_in = false\nmic = 5\n"
                                                               'speaker = "none"\nturns = 2\n'))
    assert settings.barge_in is False
    assert settings.mic == "5"
    assert settings.speaker == "none"
    assert settings.turns == 2


def test_environment_booleans_are_parsed_strictly(tmp_path: Path) -> None:
    cfg = write(tmp_path, "barge_in = true\n")
    assert resolve({}, env={"VOICECHAT_BARGE_IN": "off"}, config_path=cfg).barge_in is False
    assert resolve({}, env={"VOICECHAT_BARGE_IN": "1"}, config_path=cfg).barge_in is True
    with pytest.raises(ConfigError, match="environment variable VOICECHAT_BARGE_IN: 'maybe'"):
        resolve({}, env={"VOICECHAT_BARGE_IN": "maybe"}, config_path=cfg)


def test_a_bad_value_names_where_it_came_from(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'mode = "xx"\n')
    with pytest.raises(ConfigError) as err:
        resolve({}, env={}, config_path=cfg)
    assert str(err.value) == f"config file {cfg}, key mode: 'xx' is not one of vad, ptt, transcribe"
    assert "--mode" not in str(err.value)
    with pytest.raises(ConfigError, match=r"^environment variable VOICECHAT_TRANSPORT: 'x'"):
        resolve({}, env={"VOICECHAT_TRANSPORT": "x"}, config_path=write(tmp_path, ""))
    with pytest.raises(ConfigError, match=r"^--mode: 'yy' is not one of"):
        resolve({"mode": "yy"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match=r"^--turns: 'abc' is not a whole number"):
        resolve({"turns": "abc"}, env={}, config_path=write(tmp_path, ""))


def test_origins_are_recorded(tmp_path: Path) -> None:
    cfg = write(tmp_path, 'transport = "websocket"\n')
    settings = resolve({"mode": "ptt"}, env={"VOICECHAT_THEME": "light"}, config_path=cfg)
    assert settings.origins["mode"] == "--mode"
    assert settings.origins["theme"] == "environment variable VOICECHAT_THEME"
    assert settings.origins["transport"] == f"config file {cfg}, key transport"
    assert settings.config_path == cfg


def test_keys_and_session_work_at_the_top_level_too(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[voicechat]\nmode = "ptt"\n[keys]\ntalk = "t"\n'
                          '[session]\ninstructions = "hi"\n')
    settings = resolve({}, env={}, config_path=cfg)
    assert settings.mode == "ptt"
    assert settings.keymap == {"talk": "t"}
    assert settings.session_overrides == {"instructions": "hi"}
    both = write(tmp_path, 'mode = "vad"\n[voicechat]\nmode = "ptt"\n')
    with pytest.raises(ConfigError, match="both at the top level and under"):
        resolve({}, env={}, config_path=both)


def test_a_non_utf8_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(b'instructions = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        resolve({}, env={}, config_path=cfg)


def test_every_schema_key_is_documented_in_the_settings_page() -> None:
    """The hand-written table of docs/howto/settings.md (with the flags and environment
    variables); the generated reference lists the keys by construction."""
    from voicechat.config_schema import KEYS

    page = Path(__file__).resolve().parents[1] / "docs" / "howto" / "settings.md"
    text = page.read_text(encoding="utf-8")
    missing = [key.name for key in KEYS if f"`{key.name}`" not in text]
    assert missing == []


def test_prices_table_overrides_the_estimates(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[voicechat.prices."gpt-realtime"]\naudio_output = 50\n')
    settings = resolve({}, env={}, config_path=cfg)
    assert settings.prices == {"gpt-realtime": {"audio_output": 50.0}}
    from voicechat.protocol.pricing import prices_for
    from voicechat.runtime.facade import policy_for

    policy = policy_for(settings)
    assert prices_for("gpt-realtime-2025-08-28", policy.prices).audio_output == 50.0
    with pytest.raises(ConfigError, match="audio_out is not a price"):
        resolve({}, env={}, config_path=write(tmp_path, '[voicechat.prices.m]\naudio_out = 1\n'))
    with pytest.raises(ConfigError, match="non-negative number"):
        resolve({}, env={}, config_path=write(tmp_path, '[voicechat.prices.m]\ntext_input = "x"\n'))


def test_save_transcripts_is_off_unless_the_config_says_so(tmp_path: Path) -> None:
    assert resolve({}, env={}, config_path=write(tmp_path, "")).save_transcripts is False
    on = resolve({}, env={}, config_path=write(tmp_path, "save_transcripts = true\n"))
    assert on.save_transcripts is True
    with pytest.raises(ConfigError, match="save_transcripts"):
        resolve({}, env={}, config_path=write(tmp_path, 'save_transcripts = "yes"\n'))


def test_api_follows_a_gpt_live_model_and_refuses_a_contradiction(tmp_path: Path) -> None:
    cfg = tmp_path / "empty.toml"
    cfg.write_text("", encoding="utf-8")
    assert resolve({"model": "gpt-live-1"}, env={}, config_path=cfg).api == "live"
    assert resolve({}, env={}, config_path=cfg).api == "realtime"
    live = resolve({"api": "live"}, env={}, config_path=cfg)
    assert (live.api, live.model) == ("live", "gpt-live-1")
    with pytest.raises(ConfigError, match="--api live"):
        resolve({"api": "realtime", "model": "gpt-live-1"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="VOICECHAT_API"):
        resolve({}, env={"VOICECHAT_API": "nope"}, config_path=cfg)


KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"


@pytest.mark.parametrize("text", [
    f'"{KEY}" = 1\n',  # the key pasted as a key: "unknown key '…'"
    f'mode = "{KEY}"\n',  # into a setting with choices: "'…' is not one of"
    f'speed = "{KEY}"\n',  # into a number: "got the string '…'" (cut at 40 characters)
])
def test_a_key_pasted_into_the_config_never_shows_in_its_error(tmp_path: Path,
                                                               text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({}, env={}, config_path=write(tmp_path, text))
    assert "ABCDEFGHIJKLMNOP" not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_terminal_escapes_in_a_config_error_are_shown_not_obeyed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({}, env={}, config_path=write(tmp_path, '"k\\u001b]0;pwned\\u0007" = 1\n'))
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
    assert "k\\x1b]0;pwned\\x07" in str(caught.value)


def test_config_show_masks_a_key_in_any_setting(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from voicechat.commands import config as config_command

    cfg = write(tmp_path, f'[voicechat.session]\ninstructions = "use {KEY}"\n'
                          f'[voicechat.keys]\ntalk = "{KEY}"\n')
    assert config_command.run_show(cfg) == 0
    out = capsys.readouterr().out
    assert "ABCDEFGHIJKLMNOP" not in out
    assert 'session = { instructions = "use [redacted]" }' in out


@pytest.mark.parametrize(("make", "words"), [
    (lambda d: d, ["is a directory", "voicechat config path"]),
    (lambda d: _sparse(d / "huge.toml", 2 << 20), ["larger than 1 MB"]),  # (/dev/zero)
])
def test_a_config_path_that_is_no_file_names_the_fix(tmp_path: Path, make, words) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({}, env={}, config_path=make(tmp_path))
    for word in words:
        assert word in str(caught.value)


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_a_fifo_as_config_is_an_error_not_a_hang(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from tests.helpers import without_a_writer
    from voicechat import config_schema

    monkeypatch.setattr(config_schema, "PIPE_WAIT_S", 0.2)
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    error = without_a_writer(fifo, lambda: resolve({}, env={}, config_path=fifo),
                             "reading a FIFO as the config waited for a writer")
    assert isinstance(error, ConfigError), error
    assert "nothing came through it" in str(error) and "TOML file" in str(error)


def test_the_speaker_buffer_is_a_bounded_whole_number_of_ms(tmp_path: Path) -> None:
    """``speaker_buffer_ms`` (issue 38's grid: 20 and 80 ms) from the file or the variable;
    anything else names the key, where it came from and the range."""
    assert resolve({}, env={}, config_path=write(tmp_path, "")).speaker_buffer_ms is None
    cfg = write(tmp_path, "speaker_buffer_ms = 20\n")
    assert resolve({}, env={}, config_path=cfg).speaker_buffer_ms == 20
    env = {"VOICECHAT_SPEAKER_BUFFER_MS": "80"}
    assert resolve({}, env=env, config_path=write(tmp_path, "")).speaker_buffer_ms == 80
    for text in ("speaker_buffer_ms = 5\n", "speaker_buffer_ms = 900\n"):
        with pytest.raises(ConfigError, match=r"speaker_buffer_ms.*from 10 to 500"):
            resolve({}, env={}, config_path=write(tmp_path, text))
    for value in ("20.5", "x", "-1"):
        with pytest.raises(ConfigError, match=r"VOICECHAT_SPEAKER_BUFFER_MS.*from 10 to 500"):
            resolve({}, env={"VOICECHAT_SPEAKER_BUFFER_MS": value},
                    config_path=write(tmp_path, ""))
