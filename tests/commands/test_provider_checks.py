"""``--provider`` before anything connects (issue 40, item 1): the settings it resolves to, one
clear error naming the fix for a bad one, and ``validate --provider`` linting a session in the
service's own shape."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.commands.no_ui import PROVIDER_VARIABLES, VOICECHAT
from voicechat.cli import app
from voicechat.config import ConfigError, resolve
from voicechat.transport.auth import endpoint_for

XAI_KEY = "xai-" + "k" * 20


def settings(tmp_path: Path, flags: dict[str, Any], env: dict[str, str]) -> Any:
    cfg = tmp_path / "cfg.toml"
    cfg.touch()
    return resolve(flags, env=env, config_path=cfg)


def test_xai_connects_to_xai_with_its_own_key(tmp_path: Path) -> None:
    s = settings(tmp_path, {"provider": "xai"}, {"XAI_API_KEY": XAI_KEY})
    assert (s.provider, s.transport, s.dialect, s.model) == (
        "xai", "websocket", "ga", "grok-voice-latest")
    assert s.notes == ()  # WebRTC was only the default: nothing to say
    endpoint = endpoint_for(s)
    assert endpoint.ws_url() == "wss://api.x.ai/v1/realtime?model=grok-voice-latest"
    assert endpoint.key_headers() == {"Authorization": f"Bearer {XAI_KEY}"}
    assert XAI_KEY not in repr(s) and XAI_KEY not in s.describe_server()


def test_voice_live_takes_its_endpoint_and_key_variables(tmp_path: Path) -> None:
    s = settings(tmp_path, {"provider": "voice-live"}, {
        "AZURE_VOICELIVE_API_KEY": "vl-key", "AZURE_VOICELIVE_ENDPOINT":
        "https://res.services.ai.azure.com/"})
    endpoint = endpoint_for(s)
    assert s.dialect == "beta" and s.transport == "websocket"
    assert endpoint.ws_url() == ("wss://res.services.ai.azure.com/voice-live/realtime?"
                                 "api-version=2026-04-10&model=gpt-realtime")
    assert endpoint.key_headers() == {"api-key": "vl-key"}


def test_server_url_overrides_the_endpoint_and_needs_no_key(tmp_path: Path) -> None:
    s = settings(tmp_path, {"provider": "xai", "server": "http://127.0.0.1:9/v1",
                            "transport": "webrtc"}, {})
    assert endpoint_for(s).ws_url() == "ws://127.0.0.1:9/v1/realtime?model=grok-voice-latest"
    assert s.transport == "websocket"
    assert s.notes == ("xAI Grok Voice has no WebRTC endpoint; using WebSocket "
                       "(--transport websocket asks for it without this note)",)


@pytest.mark.parametrize(("flags", "env", "says"), [
    ({"provider": "xai"}, {}, "needs XAI_API_KEY: set it in the environment"),
    ({"provider": "voice-live"}, {},
     "needs AZURE_VOICELIVE_ENDPOINT (https://<resource>.services.ai.azure.com) and "
     "AZURE_VOICELIVE_API_KEY: set them"),
    ({"provider": "gemini"}, {}, "--provider gemini (Google Gemini Live) needs GEMINI_API_KEY "
     "or GOOGLE_API_KEY"),
    ({"provider": "gemini", "server": "local", "api": "live"}, {},
     "--provider gemini is Gemini Live, not GPT-Live; drop --api live"),
    ({"provider": "bogus"}, {},
     "--provider: 'bogus' is not one of openai, azure, xai, voice-live, gemini"),
    ({"provider": "xai", "server": "local", "dialect": "beta"}, {},
     "xAI Grok Voice speaks the ga dialect; drop --dialect beta"),
    ({"provider": "xai", "server": "openai"}, {}, "another provider's server"),
    ({}, {"VOICECHAT_PROVIDER": "nope"}, "environment variable VOICECHAT_PROVIDER: 'nope'"),
])
def test_a_bad_provider_setting_names_the_fix(tmp_path: Path, flags: dict[str, Any],
                                              env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings(tmp_path, flags, env)
    assert says in str(error.value)


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    for args, says in ((["--provider", "bogus"], "'bogus' is not one of"),
                       (["--provider", "xai"], "needs XAI_API_KEY")):
        done = subprocess.run([str(VOICECHAT), "--no-ui", "--config", str(cfg), *args],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], done.stderr


runner = CliRunner()


def validate(tmp_path: Path, payload: Any, *args: str) -> Any:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return runner.invoke(app, ["validate", str(path), *args])


def test_validate_reads_xai_shape(tmp_path: Path) -> None:
    good = {"type": "session.update", "session": {
        "type": "realtime", "voice": "Ara", "turn_detection": {"type": "server_vad"}}}
    result = validate(tmp_path, good, "--provider", "xai")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "ok (xAI Grok Voice)"
    nested = {"type": "realtime", "model": "grok-voice-latest",
              "audio": {"output": {"voice": "Ara"}}}
    result = validate(tmp_path, nested, "--provider", "xai")
    assert result.exit_code == 1
    assert "error (xai): session.model: xAI takes the model only on the URL" in result.stdout
    assert "move it to session.voice" in result.stdout


def test_validate_takes_voice_live_fields(tmp_path: Path) -> None:
    session = {"turn_detection": {"type": "azure_semantic_vad", "remove_filler_words": True},
               "input_audio_echo_cancellation": {"type": "server_echo_cancellation"}}
    assert validate(tmp_path, session, "--provider", "voice-live").exit_code == 0
    assert validate(tmp_path, session, "--dialect", "beta").exit_code == 1


def test_validate_with_the_gemini_provider_checks_gemini_messages(tmp_path: Path) -> None:
    """A Realtime session is not a Gemini Live message: the check says so, in Google's terms."""
    result = validate(tmp_path, {"type": "realtime"}, "--provider", "gemini")
    assert result.exit_code == 1
    setup = {"setup": {"model": "models/gemini-live-2.5-flash-native-audio"}}
    assert validate(tmp_path, setup, "--provider", "gemini").exit_code == 0


def test_gemini_takes_its_key_from_either_of_googles_variables() -> None:
    from voicechat.config import resolve

    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        settings = resolve({"provider": "gemini"}, env={name: "AIza-test-key"})
        assert settings.api_key == "AIza-test-key"
        assert settings.server == "https://generativelanguage.googleapis.com"
        assert settings.transport == "websocket"
    local = resolve({"provider": "gemini", "server": "local"}, env={})
    assert (local.server, local.api_key, local.model) == ("local", None, "gemini-live")


def test_a_voice_live_session_table_may_hold_azure_fields(tmp_path: Path) -> None:
    from voicechat.commands.preflight import check_session_table

    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[voicechat.session]\n'
                   'input_audio_echo_cancellation = {type = "server_echo_cancellation"}\n'
                   '[voicechat.session.audio.input.turn_detection]\n'
                   'type = "azure_semantic_vad"\n', encoding="utf-8")
    s = resolve({"provider": "voice-live", "server": "http://127.0.0.1:1"}, env={},
                config_path=cfg)
    check_session_table(s)  # no ValueError: checked as beta, Azure's fields set aside


def test_a_new_session_on_xai_offers_no_openai_models(tmp_path: Path) -> None:
    from voicechat.runtime.switching import switch_targets

    s = settings(tmp_path, {"provider": "xai"}, {"XAI_API_KEY": XAI_KEY})
    targets = switch_targets(s)
    assert [(t.kind, t.value) for t in targets] == [("server", "local")]


def test_push_to_talk_on_xai_is_allowed_with_a_note(tmp_path: Path) -> None:
    s = settings(tmp_path, {"provider": "xai", "mode": "ptt"}, {"XAI_API_KEY": XAI_KEY})
    assert s.mode == "ptt"
    assert len(s.notes) == 1 and "turn_detection: null" in s.notes[0]
