"""The config file's keys and their types, checked before any value is used.

A TOML file is typed, so its mistakes are cheap to catch and costly to ignore: ``barge_in =
"false"`` read as truthy turned barge-in *on*, and a typo such as ``sever = "openai"`` was skipped
silently, so the default server (OpenAI, when a key is exported) got the traffic. Every key the
file may hold is declared here once, with its type and what it does (the README's table is
checked against it); an unknown key is an error that suggests the closest known one, and a value
of the wrong type is an error naming the file, the key and the type expected. Both exit with 2,
like every other configuration error.

Keys may sit at the top level of the file or under ``[voicechat]`` (the same for the ``keys``
and ``session`` tables); giving one key in both places is an error rather than a silent choice.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STRING = "a string"
BOOLEAN = "a boolean (true or false, without quotes)"
INTEGER = "an integer"
SECONDS = "a number of seconds"
DEVICE = "a device name or index (a string or an integer)"
STRINGS = "a list of strings"
TABLE = "a table"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it, where it came from and the fix."""


@dataclass(frozen=True)
class ConfigKey:
    """One key of the config file: its expected type, its environment variable, what it does."""

    name: str
    kind: str
    doc: str
    env: str | None = None
    choices: tuple[str, ...] = ()


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("server", STRING, "local | openai | azure | an http(s) base URL",
              env="VOICECHAT_SERVER"),
    ConfigKey("transport", STRING, "media transport", env="VOICECHAT_TRANSPORT",
              choices=("webrtc", "websocket")),
    ConfigKey("model", STRING, "model (OpenAI) or deployment name (Azure)",
              env="VOICECHAT_MODEL"),
    ConfigKey("mode", STRING, "vad: hands-free; ptt: push-to-talk; transcribe: captions only",
              env="VOICECHAT_MODE", choices=("vad", "ptt", "transcribe")),
    ConfigKey("dialect", STRING, "protocol dialect of the endpoint", env="VOICECHAT_DIALECT",
              choices=("ga", "beta")),
    ConfigKey("mic", DEVICE, "input device (name or index), an audio file, or none",
              env="VOICECHAT_MIC"),
    ConfigKey("speaker", DEVICE, "output device (name or index), an audio file, or none",
              env="VOICECHAT_SPEAKER"),
    ConfigKey("record", STRING, "write the JSONL event log to this path"),
    ConfigKey("turns", INTEGER, "with --no-ui: exit after this many completed responses"),
    ConfigKey("barge_in", BOOLEAN, "let your speech interrupt the assistant (default: on when "
              "echo cancellation runs)", env="VOICECHAT_BARGE_IN"),
    ConfigKey("aec", BOOLEAN, "echo cancellation between speaker and mic (default: on with "
              "sound devices)", env="VOICECHAT_AEC"),
    ConfigKey("theme", STRING,
              "TUI theme: dark, light, high-contrast, or a file in the theme folder",
              env="VOICECHAT_THEME"),
    ConfigKey("voice", STRING, "the assistant's voice (e.g. marin, alloy)", env="VOICECHAT_VOICE"),
    ConfigKey("instructions", STRING, "system instructions for the assistant"),
    ConfigKey("ptt_style", STRING, "push-to-talk key: toggle, or release (hold) where the "
              "terminal reports key releases", choices=("toggle", "release")),
    ConfigKey("openai_api_key", STRING, "OpenAI key (prefer the environment variable)",
              env="OPENAI_API_KEY"),
    ConfigKey("azure_api_key", STRING, "Azure OpenAI key", env="AZURE_OPENAI_API_KEY"),
    ConfigKey("azure_endpoint", STRING, "https://<resource>.openai.azure.com",
              env="AZURE_OPENAI_ENDPOINT"),
    ConfigKey("azure_api_version", STRING, "Azure API version (preview dialect)",
              env="AZURE_OPENAI_API_VERSION"),
    ConfigKey("azure_webrtc_url", STRING, "Azure preview WebRTC URL "
              "(https://<region>.realtimeapi-preview.ai.azure.com)",
              env="AZURE_OPENAI_WEBRTC_URL"),
    ConfigKey("azure_region", STRING, "Azure region for the preview WebRTC URL",
              env="AZURE_OPENAI_REGION"),
    ConfigKey("local_voice", STRING, "the embedded server's voice", choices=("espeak", "tone")),
    ConfigKey("local_responder", STRING, "the embedded server's replies: echo | script:FILE | "
              "chat:URL"),
    ConfigKey("local_asr_phrases", STRINGS, "the embedded server's recognition grammar"),
    ConfigKey("connect_timeout", SECONDS, "seconds each connection step may go unanswered "
              "(default 10)", env="VOICECHAT_CONNECT_TIMEOUT"),
    ConfigKey("link_timeout", SECONDS, "seconds of silence from the server (no RTP, no event, "
              "no WebSocket pong) before the link counts as dead (default 3.5)",
              env="VOICECHAT_LINK_TIMEOUT"),
    ConfigKey("prices", TABLE, "per model, USD per 1M tokens overriding the built-in cost "
              "estimates: [prices.\"MODEL\"] text_input = 4.0, ..."),
    ConfigKey("keys", TABLE, "key remapping: action = \"key[,key]\""),
    ConfigKey("session", TABLE, "session fields sent with session.update"),
    ConfigKey("tool_approval", STRING, "may the model run a tool: ask (each call), auto, or deny "
              "(default ask; per server and per tool too)", env="VOICECHAT_TOOL_APPROVAL",
              choices=("ask", "auto", "deny")),
    ConfigKey("mcp_config", STRING, "an mcpServers JSON file (as other MCP hosts use) whose "
              "servers' tools the model may call", env="VOICECHAT_MCP_CONFIG"),
    ConfigKey("mcp_servers", TABLE, "MCP servers by name: [mcp_servers.NAME] command, args, env "
              "(stdio) or url, headers (streamable HTTP); tool_approval, timeout"),
    ConfigKey("save_transcripts", BOOLEAN, "save each conversation as Markdown in the user data "
              "folder (off by default; ctrl+s in the TUI saves one when asked)"),
    ConfigKey("tools", TABLE, "command tools by name: [tools.NAME] command (argv list), "
              "description, parameters (JSON Schema), timeout, tool_approval"),
)
SCHEMA: Mapping[str, ConfigKey] = {key.name: key for key in KEYS}
SECTION = "voicechat"


def closest(name: str, known: list[str]) -> str:
    """`` (did you mean 'server'?)`` for a near miss, else ``""``."""
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


@dataclass(frozen=True)
class ConfigFile:
    """The checked contents of one config file (empty when there is none)."""

    path: Path | None
    values: Mapping[str, Any]

    def origin(self, key: str) -> str:
        """How an error names a value from this file: the file and the key."""
        return f"config file {self.path}, key {key}"


def load(path: Path, *, explicit: bool) -> ConfigFile:
    """Read and check ``path``; a missing default file is fine, a missing ``--config`` is not."""
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file not found: {path} (fix the --config path)")
        return ConfigFile(None, {})
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    return ConfigFile(path, check(flatten(data, path), path))


def flatten(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Merge the top level and ``[voicechat]``: both places are documented, one key once."""
    section = data.get(SECTION, {})
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [{SECTION}] must be a table, not "
                          f"{_type_name(section)}")
    merged = {k: v for k, v in data.items() if k != SECTION}
    for key, value in section.items():
        if key in merged:
            raise ConfigError(f"config file {path}: key {key} is given both at the top level "
                              f"and under [{SECTION}]; keep one")
        merged[key] = value
    return merged


def check(values: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Every key known and of its declared type; device indexes become strings."""
    known = list(SCHEMA)
    result: dict[str, Any] = {}
    for name, value in values.items():
        key = SCHEMA.get(name)
        if key is None:
            raise ConfigError(f"config file {path}: unknown key {name!r}{closest(name, known)}. "
                              f"Known keys: {', '.join(known)}")
        if not _has_type(value, key.kind):
            raise ConfigError(f"config file {path}, key {name}: expected {key.kind}, got "
                              f"{_type_name(value)} {_shown(value)}")
        result[name] = str(value) if key.kind == DEVICE else value
    return result


def _has_type(value: Any, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == SECONDS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == DEVICE:
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if kind == STRINGS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict)


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "the string",
             list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict) else "{…}"
    return text if len(text) <= 40 else text[:39] + "…"
