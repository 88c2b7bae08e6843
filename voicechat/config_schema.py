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
import os
import select
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicechat.protocol.providers import NAMES as PROVIDER_NAMES
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable

STRING = "a string"
BOOLEAN = "a boolean (true or false, without quotes)"
INTEGER = "an integer"
SECONDS = "a number of seconds"
NUMBER = "a number"
DEVICE = "a device name or index (a string or an integer)"
STRINGS = "a list of strings"
TABLE = "a table"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it, where it came from and the fix.

    The message quotes the file's own keys and values (``unknown key '…'``, ``'…' is not one
    of …``), and a key pasted into the wrong place is one of them: it is masked here, once for
    every raiser, and control characters are shown as escapes rather than sent to the
    terminal."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(redact_text(message), keep_newlines=True))


@dataclass(frozen=True)
class ConfigKey:
    """One key of the config file: its expected type, its environment variable, what it does."""

    name: str
    kind: str
    doc: str
    env: str | None = None
    choices: tuple[str, ...] = ()
    #: other variables read for the same value, with when (``voicechat --help`` lists them)
    also_env: tuple[tuple[str, str], ...] = ()
    #: what ``voicechat --help`` says of ``env`` when ``doc`` (the file's view) does not fit
    env_doc: str = ""


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("server", STRING, "local | openai | azure | an http(s) base URL",
              env="VOICECHAT_SERVER"),
    ConfigKey("provider", STRING, "the service: openai | azure | xai | voice-live | gemini "
              "(where to connect, how the key travels, the protocol's quirks; --server URL "
              "still overrides the endpoint)", env="VOICECHAT_PROVIDER",
              choices=PROVIDER_NAMES),
    ConfigKey("transport", STRING, "media transport", env="VOICECHAT_TRANSPORT",
              choices=("webrtc", "websocket")),
    ConfigKey("api", STRING, "voice API family: realtime, or live (GPT-Live, /v1/live/sessions);"
              " default: live for a gpt-live-* model, else realtime", env="VOICECHAT_API",
              choices=("realtime", "live")),
    ConfigKey("live_delegation", STRING, "GPT-Live: who works delegated tasks: client (your "
              "delegate tool) or responses (a backend model calling your tools)",
              env="VOICECHAT_LIVE_DELEGATION", choices=("client", "responses")),
    ConfigKey("live_backend_model", STRING, "GPT-Live: the backend model under responses "
              "delegation", env="VOICECHAT_LIVE_BACKEND_MODEL"),
    ConfigKey("model", STRING, "model (OpenAI) or deployment name (Azure)",
              env="VOICECHAT_MODEL",
              also_env=(("AZURE_OPENAI_DEPLOYMENT", "with Azure: the deployment (like --model), "
                         "read instead of VOICECHAT_MODEL"),)),
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
    ConfigKey("speed", NUMBER, "the assistant's speaking speed, 0.25 to 1.5 (1 is normal)",
              env="VOICECHAT_SPEED"),
    ConfigKey("turn_detection", STRING, "how the server finds the end of your turn: server_vad "
              "(silence) or semantic_vad (meaning)", choices=("server_vad", "semantic_vad")),
    ConfigKey("eagerness", STRING, "semantic_vad: how soon it answers",
              choices=("auto", "low", "medium", "high")),
    ConfigKey("vad_threshold", NUMBER, "server_vad: speech threshold 0 to 1 (higher: louder "
              "speech needed)"),
    ConfigKey("silence_ms", INTEGER, "server_vad: milliseconds of silence that end a turn"),
    ConfigKey("noise_reduction", STRING, "input noise reduction: near_field (headset), "
              "far_field (laptop, room) or off", choices=("near_field", "far_field", "off")),
    ConfigKey("transcription_model", STRING, "the model that transcribes your speech "
              "(e.g. gpt-4o-mini-transcribe)"),
    ConfigKey("transcription_language", STRING, "the language you speak (ISO 639-1, e.g. en "
              "or zh), for better transcripts; leave it out to let the model detect it"),
    ConfigKey("transcription_prompt", STRING, "words to expect in your speech (names, jargon), "
              "for the transcription model"),
    ConfigKey("ptt_style", STRING, "push-to-talk key: toggle, or release (hold) where the "
              "terminal reports key releases", choices=("toggle", "release")),
    ConfigKey("openai_api_key", STRING, "OpenAI key (prefer the environment variable)",
              env="OPENAI_API_KEY", env_doc="use OpenAI (the default server when set)"),
    ConfigKey("azure_api_key", STRING, "Azure OpenAI key", env="AZURE_OPENAI_API_KEY",
              env_doc="with AZURE_OPENAI_ENDPOINT: use Azure OpenAI"),
    ConfigKey("azure_endpoint", STRING, "https://<resource>.openai.azure.com",
              env="AZURE_OPENAI_ENDPOINT"),
    ConfigKey("xai_api_key", STRING, "xAI key for --provider xai (prefer the environment "
              "variable)", env="XAI_API_KEY", env_doc="--provider xai (Grok Voice)"),
    ConfigKey("gemini_api_key", STRING, "Google Gemini API key for --provider gemini (prefer "
              "the environment variable; GOOGLE_API_KEY is read too)", env="GEMINI_API_KEY",
              also_env=(("GOOGLE_API_KEY", "read when GEMINI_API_KEY is not set"),),
              env_doc="--provider gemini (Gemini Live; Google's SDK reads either)"),
    ConfigKey("voicelive_api_key", STRING, "Azure AI Voice Live key for --provider voice-live",
              env="AZURE_VOICELIVE_API_KEY"),
    ConfigKey("voicelive_endpoint", STRING, "https://<resource>.services.ai.azure.com, for "
              "--provider voice-live", env="AZURE_VOICELIVE_ENDPOINT"),
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
    ConfigKey("speaker_buffer_ms", INTEGER, "the speaker's device buffer in milliseconds, 10 to "
              "500 (default 80 with echo cancellation, ~20 without): deeper rides out a busy "
              "machine, shallower stops sooner when you interrupt",
              env="VOICECHAT_SPEAKER_BUFFER_MS"),
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
    ConfigKey("otel_endpoint", STRING, "export OpenTelemetry traces to this OTLP collector "
              "(e.g. http://localhost:4318); OTEL_EXPORTER_OTLP_ENDPOINT wins when set"),
    ConfigKey("otel_protocol", STRING, "OTLP protocol of otel_endpoint (default "
              "http/protobuf); OTEL_EXPORTER_OTLP_PROTOCOL wins when set",
              choices=("http/protobuf", "grpc")),
    ConfigKey("otel_content", BOOLEAN, "put transcripts and tool arguments in the trace "
              "spans (off by default: timings and ids only)"),
)
SCHEMA: Mapping[str, ConfigKey] = {key.name: key for key in KEYS}
#: Variables that set no key of the file, with what they do (``voicechat --help`` lists them
#: after the keys' own).
OTHER_ENV: tuple[tuple[str, str], ...] = (
    ("VOICECHAT_SERVER_API_KEY", "voicechat serve --api-key"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "export OpenTelemetry traces there (over otel_endpoint); "
                                    "the other OTEL_* variables as the SDK reads them"),
    ("SSL_CERT_FILE", "the CA certificates to trust (a self-signed server, a private CA)"),
)
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
        data = tomllib.loads(_read_bytes(path).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    return ConfigFile(path, check(flatten(data, path), path))


#: A config file is a few KB; reading stops past this (``--config /dev/zero``).
MAX_CONFIG_BYTES = 1 << 20
#: How long a FIFO given as the config file may stay silent (``--config <(...)`` writes at once).
PIPE_WAIT_S = 10.0


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; a directory, a silent FIFO or a huge file is a :class:`ConfigError`
    (opened without waiting: ``open`` on a FIFO nobody writes to waited forever)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"config file {path} is a directory; pass the TOML file (voicechat "
                              "config path says where it goes)")
        if stat.S_ISFIFO(mode) and not select.select([fd], [], [], PIPE_WAIT_S)[0]:
            raise ConfigError(f"config file {path} is a pipe and nothing came through it in "
                              f"{PIPE_WAIT_S:g} s; pass the TOML file itself")
        os.set_blocking(fd, True)
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is larger than {MAX_CONFIG_BYTES >> 20} MB; pass "
                          "the TOML config file")
    return data


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
    if kind in (SECONDS, NUMBER):
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
