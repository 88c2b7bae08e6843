"""The session settings as flags, environment and config keys, checked before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicechat.config import ConfigError, resolve
from voicechat.runtime.facade import policy_for
from voicechat.runtime.live_control import live_from_settings
from voicechat.runtime.switching import switch_targets, switched


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_keys_flags_and_environment(tmp_path: Path) -> None:
    cfg = config(tmp_path, 'speed = 1.1\nturn_detection = "semantic_vad"\neagerness = "low"\n'
                 'noise_reduction = "far_field"\ntranscription_language = "de"\n'
                 'transcription_prompt = "Kubernetes, Grafana"\n')
    settings = resolve({"speed": 1.3}, env={"VOICECHAT_VOICE": "cedar"}, config_path=cfg)
    live = live_from_settings(settings)
    assert (live.speed, live.voice, live.turn_detection, live.eagerness, live.noise_reduction,
            live.language, live.prompt) == (1.3, "cedar", "semantic_vad", "low", "far_field",
                                            "de", "Kubernetes, Grafana")
    session = policy_for(settings).session_overrides
    assert session["audio"]["output"] == {"speed": 1.3, "voice": "cedar"}
    assert session["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-mini-transcribe", "language": "de", "prompt": "Kubernetes, Grafana"}


@pytest.mark.parametrize(("text", "words"), [
    ("speed = 2.0\n", "speed: 2.0 is not a number from 0.25 to 1.5"),
    ("vad_threshold = 1.5\n", "vad_threshold: 1.5 is not a number from 0 to 1"),
    ('turn_detection = "push"\n', "'push' is not one of server_vad, semantic_vad"),
    ('noise_reduction = "loud"\n', "'loud' is not one of near_field, far_field, off"),
    ("silence_ms = 0\n", "silence_ms: 0 is not a whole number of 1 or more"),
    ('speed = "fast"\n', "speed"),
    ('transcription_language = "auto"\n',
     "transcription_language: 'auto' is not a language code: to let the model detect the "
     "language, leave transcription_language out"),
    ('transcription_language = "Chinese"\n', "a language's name, not its code: use 'zh'"),
    ('transcription_language = "中文"\n', "use 'zh'"),
    ('transcription_language = "zh_CN_x"\n', "not an ISO 639-1 language code"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        resolve({}, env={}, config_path=config(tmp_path, text))


def test_the_flags_beat_the_session_table(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[voicechat.session]\naudio = {output = {speed = 0.9}}\n')
    settings = resolve({"speed": 1.2}, env={}, config_path=cfg)
    assert policy_for(settings).session_overrides["audio"]["output"]["speed"] == 1.2


def test_switch_targets_are_the_configured_servers_and_the_models(tmp_path: Path) -> None:
    cfg = config(tmp_path, "")
    local = resolve({"server": "local"}, env={"OPENAI_API_KEY": "sk-test-1"}, config_path=cfg)
    targets = {(t.kind, t.value) for t in switch_targets(local)}
    assert ("server", "openai") in targets and ("model", "gpt-realtime-mini") in targets
    assert ("server", "azure") not in targets  # no Azure key or endpoint
    to_openai = switched(local, server="openai")
    assert (to_openai.server, to_openai.api_key) == ("openai", "sk-test-1")
    assert switched(to_openai, server="local").api_key is None
    bare = resolve({"server": "local"}, env={}, config_path=cfg)
    with pytest.raises(ConfigError, match="no key for openai: set OPENAI_API_KEY"):
        switched(bare, server="openai")


def test_config_show_never_prints_the_keys_kept_for_switching(tmp_path: Path) -> None:
    from voicechat.commands.config import describe
    from voicechat.config_schema import load

    env = {"OPENAI_API_KEY": "sk-test-secret-1234", "AZURE_OPENAI_API_KEY": "azure-secret-5678"}
    path = config(tmp_path, "")
    settings = resolve({"server": "local"}, env=env, config_path=path)
    assert settings.switch_keys  # kept for a switch
    text = "\n".join(describe(settings, load(path, explicit=True), env))
    assert "OPENAI_API_KEY" in text  # the keys are there, said to be set
    assert "sk-test-secret-1234" not in text and "azure-secret-5678" not in text
    assert "sk-test-secret-1234" not in repr(settings)


def test_chinese_transcription_settings_reach_the_session(tmp_path: Path) -> None:
    """Issue 37 (Chinese users): the language code and a Simplified-Chinese prompt (the known
    fix for Whisper drifting into Traditional script) go into the session as given."""
    cfg = config(tmp_path, 'transcription_language = "ZH"\n'
                 'transcription_prompt = "以下是普通话的句子。"\n')
    session = policy_for(resolve({}, env={}, config_path=cfg)).session_overrides
    assert session["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-mini-transcribe", "language": "zh", "prompt": "以下是普通话的句子。"}
