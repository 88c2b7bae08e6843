"""Settings for a conversation: command-line flags over environment over a TOML config file.

Precedence is the usual one for command-line tools: what the user typed now (flags) beats what the
shell exports (``OPENAI_API_KEY``, ``AZURE_OPENAI_*``, ``VOICECHAT_*``), which beats the TOML file
(``--config PATH`` or ``config.toml`` in the platform's user config directory). Nothing here does
I/O beyond reading that one file, so the resolution rules are easy to test.

Keys never leave this module in readable form: :class:`Settings` hides them from ``repr`` and
:meth:`Settings.describe_server` names the server without credentials.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVERS = ("local", "openai", "azure")
TRANSPORTS = ("webrtc", "websocket")
MODES = ("vad", "ptt", "transcribe")
DIALECTS = ("ga", "beta")

DEFAULT_GA_MODEL = "gpt-realtime"
DEFAULT_BETA_MODEL = "gpt-4o-realtime-preview"
DEFAULT_AZURE_PREVIEW_API_VERSION = "2025-04-01-preview"
OPENAI_BASE = "https://api.openai.com"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it and how to fix it."""


@dataclass
class Settings:
    """Everything the runtime needs to start one conversation (already resolved)."""

    server: str = "local"  # local | openai | azure | a base URL
    transport: str = "webrtc"
    model: str = DEFAULT_GA_MODEL
    mode: str = "vad"
    dialect: str = "ga"
    mic: str | None = None  # None = default input device; a .wav path = file source
    speaker: str | None = None  # None = default output device; "none"; a .wav path = file sink
    record: Path | None = None
    no_ui: bool = False
    turns: int | None = None
    barge_in: bool | None = None  # None: on when echo cancellation runs, else off
    aec: bool | None = None  # None: on when the mic and the speaker are sound devices
    theme: str | None = None
    voice: str | None = None
    instructions: str | None = None
    api_key: str | None = field(default=None, repr=False)
    azure_endpoint: str | None = None
    azure_api_version: str = DEFAULT_AZURE_PREVIEW_API_VERSION
    azure_webrtc_url: str | None = None  # preview WebRTC: https://<region>.realtimeapi-preview.ai.azure.com
    azure_region: str | None = None
    local_voice: str = "espeak"  # the embedded server's voice: espeak | tone
    local_responder: str = "echo"
    local_asr_phrases: list[str] | None = None
    ptt_style: str = "toggle"
    keymap: dict[str, str] = field(default_factory=dict)
    session_overrides: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None

    @property
    def is_local(self) -> bool:
        return self.server == "local"

    @property
    def is_azure(self) -> bool:
        return self.server == "azure"

    def describe_server(self) -> str:
        """Where we connect, for the status bar and logs: never includes a key."""
        if self.server == "azure":
            return f"azure ({self.azure_endpoint or '?'})"
        return self.server


def default_config_path() -> Path:
    """``config.toml`` in the user config dir (``~/.config/voicechat`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("voicechat")) / "config.toml"


def load_toml(path: Path | None, *, explicit: bool) -> dict[str, Any]:
    """Read the config file; a missing default file is fine, a missing ``--config`` file is not."""
    target = path if path is not None else default_config_path()
    if not target.exists():
        if explicit:
            raise ConfigError(f"config file not found: {target} (fix the --config path)")
        return {}
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {target} is not valid TOML: {exc}") from exc
    section = data.get("voicechat", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {target}: [voicechat] must be a table")
    return section


def _pick(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    return None


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def resolve(
    flags: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Combine flags (``None`` = not given), environment and the TOML file."""
    env = os.environ if env is None else env
    toml = load_toml(config_path, explicit=config_path is not None)

    def setting(key: str, env_name: str | None = None) -> Any:
        env_value = env.get(env_name) if env_name else None
        return _pick(flags.get(key), env_value, toml.get(key))

    openai_key = _pick(env.get("OPENAI_API_KEY"), toml.get("openai_api_key"))
    azure_key = _pick(env.get("AZURE_OPENAI_API_KEY"), toml.get("azure_api_key"))
    azure_endpoint = _pick(env.get("AZURE_OPENAI_ENDPOINT"), toml.get("azure_endpoint"))

    server = setting("server", "VOICECHAT_SERVER")
    if server is None:
        if openai_key:
            server = "openai"
        elif azure_key and azure_endpoint:
            server = "azure"
        else:
            server = "local"
    server = str(server)
    if server not in SERVERS and not server.startswith(("http://", "https://")):
        raise ConfigError(
            f"--server must be local, openai, azure or an http(s) base URL, not {server!r}"
        )

    dialect = _choice("--dialect", setting("dialect", "VOICECHAT_DIALECT") or "ga", DIALECTS)
    transport = _choice(
        "--transport", setting("transport", "VOICECHAT_TRANSPORT") or "webrtc", TRANSPORTS
    )
    mode = _choice("--mode", setting("mode", "VOICECHAT_MODE") or "vad", MODES)

    api_key: str | None
    if server == "azure":
        api_key = azure_key
        if not azure_endpoint:
            raise ConfigError(
                "Azure needs an endpoint: set AZURE_OPENAI_ENDPOINT "
                "(https://<resource>.openai.azure.com) or azure_endpoint in the config file"
            )
        if not api_key:
            raise ConfigError("Azure needs a key: set AZURE_OPENAI_API_KEY")
        model = _pick(flags.get("model"), env.get("AZURE_OPENAI_DEPLOYMENT"), toml.get("model"))
        if not model:
            raise ConfigError(
                "Azure needs a deployment name: pass --model DEPLOYMENT or set "
                "AZURE_OPENAI_DEPLOYMENT"
            )
    else:
        api_key = openai_key if server != "local" else None
        if server == "openai" and not api_key:
            raise ConfigError(
                "OpenAI needs a key: set OPENAI_API_KEY, or use --server local (offline server)"
            )
        default_model = DEFAULT_BETA_MODEL if dialect == "beta" else DEFAULT_GA_MODEL
        model = setting("model", "VOICECHAT_MODEL") or default_model

    turns = flags.get("turns")
    if turns is not None and int(turns) < 1:
        raise ConfigError("--turns must be 1 or more")
    barge_in = _pick(flags.get("barge_in"), _env_bool(env.get("VOICECHAT_BARGE_IN")),
                     toml.get("barge_in"))
    aec = _pick(flags.get("aec"), _env_bool(env.get("VOICECHAT_AEC")), toml.get("aec"))
    record = setting("record")
    overrides = toml.get("session", {})
    if not isinstance(overrides, dict):
        raise ConfigError("config file: [voicechat.session] must be a table of session fields")
    keymap = toml.get("keys", {})
    if not isinstance(keymap, dict):
        raise ConfigError("config file: [voicechat.keys] must be a table of action = key")
    ptt_style = _choice("ptt_style", toml.get("ptt_style", "toggle"), ("toggle", "release"))

    return Settings(
        server=server,
        transport=transport,
        model=str(model),
        mode=mode,
        dialect=dialect,
        mic=_pick(flags.get("mic"), env.get("VOICECHAT_MIC"), toml.get("mic")),
        speaker=_pick(flags.get("speaker"), env.get("VOICECHAT_SPEAKER"), toml.get("speaker")),
        record=Path(record) if record is not None else None,
        no_ui=bool(flags.get("no_ui", False)),
        turns=int(turns) if turns is not None else None,
        barge_in=bool(barge_in) if barge_in is not None else None,
        aec=bool(aec) if aec is not None else None,
        theme=setting("theme", "VOICECHAT_THEME"),
        voice=setting("voice", "VOICECHAT_VOICE"),
        instructions=setting("instructions"),
        api_key=api_key,
        azure_endpoint=str(azure_endpoint).rstrip("/") if azure_endpoint else None,
        azure_api_version=str(
            _pick(env.get("AZURE_OPENAI_API_VERSION"), toml.get("azure_api_version"))
            or DEFAULT_AZURE_PREVIEW_API_VERSION
        ),
        azure_webrtc_url=_pick(env.get("AZURE_OPENAI_WEBRTC_URL"), toml.get("azure_webrtc_url")),
        azure_region=_pick(env.get("AZURE_OPENAI_REGION"), toml.get("azure_region")),
        local_voice=str(toml.get("local_voice", "espeak")),
        local_responder=str(toml.get("local_responder", "echo")),
        local_asr_phrases=_phrases(toml.get("local_asr_phrases")),
        ptt_style=ptt_style,
        keymap={str(k): str(v) for k, v in keymap.items()},
        session_overrides=dict(overrides),
        config_path=config_path,
    )


def _env_bool(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _phrases(value: Any) -> list[str] | None:
    """``local_asr_phrases``: the embedded server's recognition grammar (exact transcripts)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("config file: local_asr_phrases must be a list of strings")
    return list(value)
