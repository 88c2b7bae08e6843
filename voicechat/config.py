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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicechat.config_layers import Layers
from voicechat.config_modes import no_turn_modes
from voicechat.config_schema import ConfigError, ConfigFile, load
from voicechat.paths import default_config_path
from voicechat.protocol.languages import language_problem
from voicechat.protocol.providers import PROFILES, Profile, profile_for

__all__ = ["ConfigError", "Settings", "default_config_path", "resolve"]

SERVERS = ("local", "openai", "azure")
TRANSPORTS = ("webrtc", "websocket")
MODES = ("vad", "ptt", "transcribe")
DIALECTS = ("ga", "beta")

DEFAULT_GA_MODEL = "gpt-realtime"
DEFAULT_BETA_MODEL = "gpt-4o-realtime-preview"
DEFAULT_LIVE_MODEL = "gpt-live-1"
DEFAULT_LIVE_BACKEND_MODEL = "gpt-5.6-terra"  # the guide's recommended start (reference §1.3)
APIS = ("realtime", "live")
#: The providers that are profiles beside OpenAI and Azure OpenAI (``--provider``): their
#: endpoint, key and dialect come from the profile (:mod:`voicechat.protocol.providers`).
EXTRA_PROVIDERS = ("xai", "voice-live")
#: Where each extra provider's key and endpoint come from (config keys; their environment
#: variables are in the schema: XAI_API_KEY, AZURE_VOICELIVE_API_KEY, AZURE_VOICELIVE_ENDPOINT).
_PROVIDER_KEYS = {"xai": ("xai_api_key", None),
                  "voice-live": ("voicelive_api_key", "voicelive_endpoint")}
#: a model name that can only mean GPT-Live (``/v1/realtime`` refuses these with invalid_model)
LIVE_MODEL_PREFIX = "gpt-live-"
DEFAULT_AZURE_PREVIEW_API_VERSION = "2025-04-01-preview"
OPENAI_BASE = "https://api.openai.com"
# Faults (issue 14): how long a connection step may go unanswered, and how long a connected link
# may stay silent (no RTP and no data-channel event; no WebSocket pong) before it counts as dead.
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_LINK_TIMEOUT_S = 3.5


@dataclass
class Settings:
    """Everything the runtime needs to start one conversation (already resolved)."""

    server: str = "local"  # local | openai | azure | a base URL
    provider: str = "openai"  # the profile (voicechat.protocol.providers): openai | azure | xai | …
    transport: str = "webrtc"
    model: str = DEFAULT_GA_MODEL
    mode: str = "vad"
    dialect: str = "ga"
    api: str = "realtime"  # realtime | live (GPT-Live, /v1/live/sessions)
    live_delegation: str = "client"  # GPT-Live: client | responses
    live_backend_model: str = DEFAULT_LIVE_BACKEND_MODEL  # GPT-Live, responses delegation
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
    #: ``False``: the server is the agent under test and keeps its own session; nothing is
    #: sent to set it up and its tool calls are watched, not answered (``agent: server``)
    send_session: bool = True
    config_path: Path | None = None
    origins: dict[str, str] = field(default_factory=dict, repr=False)
    """Where each setting that was given came from (a flag, a variable, a file key)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S  # each HTTP/WebSocket step, seconds
    link_timeout: float = DEFAULT_LINK_TIMEOUT_S  # silence that makes a connected link dead
    speaker_buffer_ms: int | None = None  # the speaker's device buffer (None: chosen for AEC)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # [voicechat.prices]
    tool_approval: str = "ask"  # ask | auto | deny: may the model run a tool
    mcp_config: Path | None = None  # an mcpServers JSON file
    mcp_servers: dict[str, Any] = field(default_factory=dict, repr=False)  # [voicechat.mcp_servers]
    tools: dict[str, Any] = field(default_factory=dict)  # [voicechat.tools]: command tools
    resume: Path | None = None  # --resume LOG: the earlier conversation to continue
    save_transcripts: bool = False  # save each conversation as Markdown (user data folder)
    # session settings the TUI's settings screen changes too (None: the server's default)
    speed: float | None = None
    turn_detection: str | None = None  # server_vad | semantic_vad
    eagerness: str | None = None
    vad_threshold: float | None = None
    silence_ms: int | None = None
    noise_reduction: str | None = None  # near_field | far_field | off
    transcription_model: str | None = None
    transcription_language: str | None = None
    transcription_prompt: str | None = None
    switch_keys: dict[str, str] = field(default_factory=dict, repr=False)
    """Keys of the other servers a new session may move to (``openai``, ``azure``)."""
    azure_deployment: str | None = None  # for a switch to Azure from another server
    # OpenTelemetry (voicechat/telemetry): the OTEL_* variables win over these
    otel_endpoint: str | None = None
    otel_protocol: str | None = None  # http/protobuf | grpc
    otel_content: bool = False  # transcripts and tool payloads in spans (opt-in)
    notes: tuple[str, ...] = ()
    """What resolving decided that the user should hear once (xAI over WebSocket, …): the
    runtime says each as a notice when it starts (the log, the TUI and ``--no-ui`` show it)."""

    @property
    def is_local(self) -> bool:
        return self.server == "local"

    @property
    def is_azure(self) -> bool:
        return self.server == "azure"

    @property
    def profile(self) -> Profile:
        """The provider's profile: endpoint shape, dialect, quirks, capabilities."""
        return profile_for(self.provider)

    def describe_server(self) -> str:
        """Where we connect, for the status bar and logs: never includes a key."""
        if self.server == "azure":
            return f"azure ({self.azure_endpoint or '?'})"
        if self.provider in (*EXTRA_PROVIDERS, "gemini"):
            return f"{self.provider} ({self.server})"
        return self.server


def resolve(
    flags: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Combine flags (``None`` = not given), environment and the TOML file."""
    env = os.environ if env is None else env
    file = load(config_path if config_path is not None else default_config_path(),
                explicit=config_path is not None)
    layers = Layers(flags, env, file)

    openai_key = layers.get("openai_api_key", flag=False)
    azure_key = layers.get("azure_api_key", flag=False)
    azure_endpoint = layers.get("azure_endpoint", flag=False)

    provider = layers.choice("provider", "")
    if provider:
        why_not = profile_for(provider).unavailable
        if why_not is not None:
            raise ConfigError(f"{layers.origin('provider')}: {why_not}")
    if provider in EXTRA_PROVIDERS:
        return _resolve_profiled(flags, layers, file, provider)
    if provider == "gemini":
        return _resolve_gemini(flags, layers, file)

    server = layers.get("server")
    if server is None and provider in ("openai", "azure"):
        server = provider
    if server is None:
        if openai_key:
            server = "openai"
        elif azure_key and azure_endpoint:
            server = "azure"
        else:
            server = "local"
    server = str(server)
    if server not in SERVERS and not server.startswith(("http://", "https://")):
        raise ConfigError(f"{layers.origin('server')}: {server!r} is not local, openai, azure "
                          "or an http(s) base URL")
    if "@" in server.split("//", 1)[-1].split("/", 1)[0]:
        # never repeat the value: it holds a password
        raise ConfigError(f"{layers.origin('server')}: the URL carries credentials (user:password@"
                          "host); voicechat sends keys only in headers. Remove them from the URL "
                          "and set OPENAI_API_KEY (or AZURE_OPENAI_API_KEY) instead")

    dialect = layers.choice("dialect", "ga")
    if dialect == "beta" and _is_openai(server):
        raise ConfigError(_retired_beta(layers.origin("dialect")))
    transport = layers.choice("transport", "webrtc")
    mode = layers.choice("mode", "vad")

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
        model = layers.get("model", env="AZURE_OPENAI_DEPLOYMENT")
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
        if layers.get("api") == "live":
            default_model = DEFAULT_LIVE_MODEL
        model = layers.get("model")
        if (model is None and layers.flags.get("model") is not None) or (
                model is not None and not str(model).strip()):
            where = layers.origin("model") if model is not None else "--model"
            raise ConfigError(f"{where}: the model name is empty; give one "
                              f"(e.g. {default_model}) or leave it out for that default")
        model = model or default_model
    api = _api(layers, str(model))
    if api == "live":
        no_turn_modes(layers, mode, "GPT-Live (--api live)")

    return _settings(
        flags, layers, file,
        server=server,
        provider="azure" if server == "azure" else "openai",
        transport=transport,
        model=str(model),
        mode=mode,
        dialect=dialect,
        api=api,
        api_key=api_key,
        azure_endpoint=str(azure_endpoint).rstrip("/") if azure_endpoint else None,
        switch_keys={name: str(key) for name, key in
                     (("openai", openai_key), ("azure", azure_key)) if key},
        azure_deployment=str(model) if server == "azure"
        else (layers.env.get("AZURE_OPENAI_DEPLOYMENT") or None),
    )


def _resolve_profiled(flags: Mapping[str, Any], layers: Layers, file: ConfigFile,
                      provider: str) -> Settings:
    """The settings of a provider that is a profile (xAI, Voice Live): its endpoint (or
    ``--server``), its key from its own variable, its dialect, and the transports it has.

    Decisions: a key is required only for the provider's own endpoint (a ``--server`` URL or
    ``local`` is a test server that takes any key, as for OpenAI); the dialect is the
    profile's (asking for the other one is an error naming it); a provider without WebRTC
    uses WebSocket, said once when WebRTC was asked for by name rather than by default."""
    profile = PROFILES[provider]
    key_name, endpoint_name = _PROVIDER_KEYS[provider]
    api_key = layers.text(key_name, flag=False)
    endpoint = layers.text(endpoint_name, flag=False) if endpoint_name else None
    server = layers.text("server")
    if server is None:
        server = (endpoint or profile.base_url or "").rstrip("/")
        missing = [*([] if server else [f"{profile.endpoint_env} (https://<resource>.services"
                                        ".ai.azure.com)"]),
                   *([] if api_key else [" or ".join(profile.key_env)])]
        if missing:
            them = "them" if len(missing) > 1 else "it"
            raise ConfigError(f"--provider {provider} ({profile.title}) needs "
                              f"{' and '.join(missing)}: set {them} in the environment, or pass "
                              "--server URL for a local voicechat serve (which takes any key)")
    elif "@" in server.split("//", 1)[-1].split("/", 1)[0]:
        raise ConfigError(f"{layers.origin('server')}: the URL carries credentials (user:"
                          f"password@host); voicechat sends keys only in headers. Remove them "
                          f"and set {' or '.join(profile.key_env)} instead")
    elif server in ("openai", "azure"):
        raise ConfigError(f"{layers.origin('server')}: {server!r} is another provider's "
                          f"server; with --provider {provider} give an http(s) URL or local")
    elif server != "local" and not server.startswith(("http://", "https://")):
        raise ConfigError(f"{layers.origin('server')}: {server!r} is not local or an http(s) "
                          "base URL")
    dialect = layers.choice("dialect", profile.dialect.value)
    if dialect != profile.dialect.value:
        raise ConfigError(f"{layers.origin('dialect')}: {profile.title} speaks the "
                          f"{profile.dialect.value} dialect; drop --dialect {dialect}")
    notes: list[str] = []
    transport = layers.choice("transport", "webrtc")
    if transport == "webrtc" and not profile.capabilities.webrtc:
        if "transport" in layers.origins:
            notes.append(f"{profile.title} has no WebRTC endpoint; using WebSocket "
                         "(--transport websocket asks for it without this note)")
        transport = "websocket"
    if layers.choice("api", "realtime") != "realtime":
        raise ConfigError(f"{layers.origin('api')}: {profile.title} speaks the Realtime API "
                          "only; drop --api live")
    model = layers.text("model") or profile.default_model
    mode = layers.choice("mode", "vad")
    if mode == "ptt" and not profile.capabilities.manual_turns:
        notes.append(f"push-to-talk sends turn_detection: null, which {profile.title} does not "
                     "handle reliably yet (LiveKit marks it unstable); --mode vad is the safe "
                     "choice")
    return _settings(
        flags, layers, file,
        server=server,
        provider=provider,
        transport=transport,
        model=model,
        mode=mode,
        dialect=dialect,
        api="realtime",
        api_key=api_key if server != "local" else None,
        azure_endpoint=None,
        switch_keys={},
        azure_deployment=None,
        notes=tuple(notes),
    )


def _resolve_gemini(flags: Mapping[str, Any], layers: Layers, file: ConfigFile) -> Settings:
    """The settings of ``--provider gemini``: Google's Gemini Live (its own protocol family,
    run by :mod:`voicechat.runtime.gemini`), or ``--server`` (``local``, a ``voicechat serve``
    URL, a gateway).

    Decisions: the key is ``GEMINI_API_KEY``, else ``GOOGLE_API_KEY`` (Google's SDK reads both),
    else the file's ``gemini_api_key``, required only for Google's own endpoint; Gemini Live has
    no WebRTC, so it runs over WebSocket (said once when WebRTC was asked for by name); there is
    no dialect to pick and no GPT-Live, so asking for either is an error naming the flag."""
    profile = PROFILES["gemini"]
    api_key = layers.text("gemini_api_key", flag=False) or layers.text(
        "gemini_api_key", env="GOOGLE_API_KEY", flag=False)
    server = layers.text("server")
    if server is None:
        if not api_key:
            raise ConfigError("--provider gemini (Google Gemini Live) needs GEMINI_API_KEY or "
                              "GOOGLE_API_KEY (a key from Google AI Studio): set it in the "
                              "environment, or pass --server local for the embedded server")
        server = str(profile.base_url)
    elif "@" in server.split("//", 1)[-1].split("/", 1)[0]:
        raise ConfigError(f"{layers.origin('server')}: the URL carries credentials (user:"
                          "password@host); voicechat sends keys only in headers. Remove them "
                          "and set GEMINI_API_KEY instead")
    elif server != "local" and not server.startswith(("http://", "https://")):
        raise ConfigError(f"{layers.origin('server')}: {server!r} is not local or an http(s) "
                          "base URL (Gemini Live's own is used when --server is left out)")
    if layers.choice("dialect", "ga") != "ga":
        raise ConfigError(f"{layers.origin('dialect')}: Gemini Live has no Realtime dialects; "
                          "drop it")
    if layers.choice("api", "realtime") != "realtime":
        raise ConfigError(f"{layers.origin('api')}: --provider gemini is Gemini Live, not "
                          "GPT-Live; drop --api live")
    mode = layers.choice("mode", "vad")
    no_turn_modes(layers, mode, "Gemini Live (--provider gemini)")
    notes: list[str] = []
    transport = layers.choice("transport", "websocket")
    if transport == "webrtc":
        notes.append("Gemini Live has no WebRTC endpoint; using WebSocket")
        transport = "websocket"
    return _settings(
        flags, layers, file,
        server=server,
        provider="gemini",
        transport=transport,
        model=layers.text("model") or profile.default_model,
        mode=mode,
        dialect="ga",
        api="realtime",
        api_key=api_key if server != "local" else None,
        azure_endpoint=None,
        switch_keys={},
        azure_deployment=None,
        notes=tuple(notes),
    )


def _settings(flags: Mapping[str, Any], layers: Layers, file: ConfigFile,
              **chosen: Any) -> Settings:
    """The settings every provider shares, read from the layers, with ``chosen`` (server,
    provider, key, model, …) as the provider's resolution decided them."""
    turns = layers.positive_int("turns")
    barge_in = layers.boolean("barge_in")
    aec = layers.boolean("aec")
    record = layers.get("record")
    overrides = layers.get("session", flag=False) or {}
    keymap = layers.get("keys", flag=False) or {}
    for action, key_names in keymap.items():
        if not isinstance(key_names, str):
            raise ConfigError(f"{layers.origin('keys')}.{action}: expected a key name such as "
                              f"\"space\" or \"ctrl+t\" (a string), got {key_names!r}")
    ptt_style = layers.choice("ptt_style", "toggle")
    mcp_config = layers.get("mcp_config")
    return Settings(
        **chosen,
        live_delegation=layers.choice("live_delegation", "client"),
        live_backend_model=str(layers.get("live_backend_model") or DEFAULT_LIVE_BACKEND_MODEL),
        mic=layers.text("mic"),
        speaker=layers.text("speaker"),
        record=Path(record) if record is not None else None,
        no_ui=bool(flags.get("no_ui", False)),
        turns=turns,
        barge_in=barge_in,
        aec=aec,
        theme=layers.text("theme"),
        voice=layers.text("voice"),
        instructions=layers.text("instructions"),
        azure_api_version=str(layers.get("azure_api_version", flag=False)
                              or DEFAULT_AZURE_PREVIEW_API_VERSION),
        azure_webrtc_url=layers.text("azure_webrtc_url", flag=False),
        azure_region=layers.text("azure_region", flag=False),
        local_voice=layers.choice("local_voice", "espeak"),
        local_responder=str(layers.get("local_responder") or "echo"),
        local_asr_phrases=layers.get("local_asr_phrases", flag=False),
        ptt_style=ptt_style,
        keymap={str(k): str(v) for k, v in keymap.items()},
        session_overrides=dict(overrides),
        config_path=file.path,
        connect_timeout=layers.seconds("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S),
        link_timeout=layers.seconds("link_timeout", DEFAULT_LINK_TIMEOUT_S),
        speaker_buffer_ms=layers.bounded_int("speaker_buffer_ms", 10, 500),
        prices=layers.prices("prices"),
        tool_approval=layers.choice("tool_approval", "ask"),
        mcp_config=Path(mcp_config) if mcp_config else None,
        mcp_servers=dict(layers.get("mcp_servers", flag=False) or {}),
        tools=dict(layers.get("tools", flag=False) or {}),
        resume=Path(flags["resume"]) if flags.get("resume") else None,
        save_transcripts=bool(layers.boolean("save_transcripts")),
        **_session_settings(layers),
        otel_endpoint=layers.text("otel_endpoint", flag=False),
        otel_protocol=layers.choice("otel_protocol", "") or None,
        otel_content=bool(layers.boolean("otel_content")),
        origins=dict(layers.origins),
    )


def _session_settings(layers: Layers) -> dict[str, Any]:
    """The session settings of flags, environment and file, their ranges checked here (the
    API's), so a bad one stops the start instead of a refused first ``session.update``."""
    speed = layers.number("speed", 0.25, 1.5)
    threshold = layers.number("vad_threshold", 0.0, 1.0)
    silence = layers.positive_int("silence_ms")
    return {
        "speed": speed, "vad_threshold": threshold, "silence_ms": silence,
        "turn_detection": layers.optional_choice("turn_detection"),
        "eagerness": layers.optional_choice("eagerness"),
        "noise_reduction": layers.optional_choice("noise_reduction"),
        "transcription_model": layers.text("transcription_model"),
        "transcription_language": _language(layers),
        "transcription_prompt": layers.text("transcription_prompt"),
    }


def _language(layers: Layers) -> str | None:
    """The transcription language, refused before connecting unless it is an ISO 639-1 code
    (:mod:`voicechat.protocol.languages`: ``auto`` and names such as ``chinese`` included)."""
    value = layers.text("transcription_language")
    problem = None if value is None else language_problem(value)
    if problem is not None:
        raise ConfigError(f"{layers.origin('transcription_language')}: {problem}")
    return value.strip().lower() if value is not None else None


def _is_openai(server: str) -> bool:
    """Whether ``server`` is OpenAI itself (``openai``, or a URL on api.openai.com): not a
    gateway, not Azure, not the local server."""
    if server == "openai":
        return True
    from urllib.parse import urlsplit

    return (urlsplit(server).hostname or "").lower() == "api.openai.com"


def _retired_beta(origin: str) -> str:
    """Why ``--dialect beta`` is refused against OpenAI, and the GA way to do the same."""
    from voicechat.protocol.gateway_errors import BETA_RETIRED_ON

    return (f"{origin}: OpenAI retired the beta Realtime API on {BETA_RETIRED_ON} and refuses it "
            "(beta_api_shape_disabled). Use the GA API: drop --dialect beta (--dialect ga is "
            "the default), with a GA model (gpt-realtime, gpt-realtime-mini); GA needs no "
            "OpenAI-Beta header, WebRTC goes to /v1/realtime/calls with a key from "
            "/v1/realtime/client_secrets. Azure still serves its preview protocol "
            "(--server azure --dialect beta, deprecated from 2026-04-30)")


def _api(layers: Layers, model: str) -> str:
    """The voice API family: as given, else GPT-Live for a ``gpt-live-*`` model (the Realtime
    endpoint refuses those), else Realtime. Asking for Realtime with a GPT-Live model is an
    error that names the fix rather than a refusal from the server later."""
    api = layers.choice("api", "")
    if not api:
        return "live" if model.startswith(LIVE_MODEL_PREFIX) else "realtime"
    if api == "realtime" and model.startswith(LIVE_MODEL_PREFIX):
        raise ConfigError(f"{layers.origin('api')}: {model!r} is a GPT-Live model, which the "
                          "Realtime API refuses; use --api live (or a gpt-realtime model)")
    return api
