"""The main job's options, and the checks for option values, kept out of :mod:`voicechat.cli`.

Each option's help names the environment variable that can set it, because ``--help`` is where
people look; the variables themselves are read by :mod:`voicechat.config` (flags over environment
over the config file), not by the parser, so that an error can say which of the three a bad value
came from. Values are checked here with messages that repeat the bad value and exit with 2, the
parser's own code for a usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand

TRANSPORTS = ("webrtc", "websocket")
MODES = ("vad", "ptt", "transcribe")
DIALECTS = ("ga", "beta")
VOICES = ("espeak", "tone")
LOG_LEVELS = ("debug", "info", "warning", "error")

class PlainUsage(TyperCommand):
    """Usage lines write a required argument as ``LOG``, not typer's ``{LOG}`` (read as literal
    braces by people who copy the line)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


def env_help(text: str, variable: str) -> str:
    """Option help ending in the environment variable that sets the same thing."""
    return f"{text} [env var: {variable}]"


def completer(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Shell completion for an option whose value is one of ``choices``."""

    def complete(incomplete: str) -> list[str]:
        return [c for c in choices if c.startswith(incomplete)]

    return complete


def _version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("voicechat")
    except PackageNotFoundError:  # pragma: no cover - running from a tree that is not installed
        number = "unknown (not installed)"
    print(f"voicechat {number}")
    raise typer.Exit(0)


def fail(message: str) -> NoReturn:
    """A bad option value: one line on stderr naming it, exit code 2 (a usage error)."""
    print(f"voicechat: {message}", file=sys.stderr)
    raise typer.Exit(2)


def choice(flag: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"{flag}: {value!r} is not one of {', '.join(allowed)}")
    return value


def port_number(text: str) -> int:
    if not text.strip().isdecimal() or int(text) > 65535:
        fail(f"--port: {text!r} is not a port number (0-65535; 0 picks a free port)")
    return int(text)


def speed_factor(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        fail(f"--speed: {text!r} is not a number (2 plays twice as fast)")


Server = Annotated[
    str | None,
    typer.Option(metavar="NAME|URL", help=env_help(
        "local | openai | azure | a base URL. Default: openai or azure when a key is configured, "
        "else the embedded local server.", "VOICECHAT_SERVER")),
]
PROVIDERS = ("openai", "azure", "xai", "voice-live", "gemini")  # protocol/providers.py NAMES
Provider = Annotated[
    str | None,
    typer.Option(metavar="NAME", autocompletion=completer(PROVIDERS), help=env_help(
        "openai | azure | xai | voice-live | gemini: the service, its endpoint, key variable "
        "and quirks (gemini speaks Gemini Live). --server URL still overrides the endpoint.",
        "VOICECHAT_PROVIDER")),
]
Transport = Annotated[
    str | None,
    typer.Option(metavar="[webrtc|websocket]", autocompletion=completer(TRANSPORTS),
                 help=env_help("Media transport.", "VOICECHAT_TRANSPORT")),
]
Api = Annotated[
    str | None,
    typer.Option(metavar="[realtime|live]", autocompletion=completer(("realtime", "live")),
                 help=env_help("Voice API: realtime, or live (GPT-Live, full duplex). Default: "
                               "live for a gpt-live-* model, else realtime.", "VOICECHAT_API")),
]
Model = Annotated[
    str | None,
    typer.Option(metavar="NAME",
                 help=env_help("Model (OpenAI) or deployment (Azure).", "VOICECHAT_MODEL")),
]
Mode = Annotated[
    str | None,
    typer.Option(metavar="[vad|ptt|transcribe]", autocompletion=completer(MODES),
                 help=env_help("vad: hands-free; ptt: push-to-talk; transcribe: live captions "
                               "only.", "VOICECHAT_MODE")),
]
Mic = Annotated[
    str | None,
    typer.Option(metavar="DEVICE|FILE", help=env_help(
        "Input device name/index, none, or an audio file (WAV, MP3, FLAC, OGG, ...) played as "
        "the mic.", "VOICECHAT_MIC")),
]
Speaker = Annotated[
    str | None,
    typer.Option(metavar="DEVICE|FILE", help=env_help(
        "Output device name/index, none, or an audio file to write (.wav, .mp3, .flac, .ogg, "
        "...).", "VOICECHAT_SPEAKER")),
]
Record = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="Write the JSONL event log here (mode 0600; a log "
                 "already there is kept beside it: log.jsonl as log.1.jsonl, then log.2.jsonl)."),
]
Config = Annotated[
    Path | None,
    typer.Option(metavar="FILE",
                 help="TOML config file to read (default: see voicechat config path)."),
]
NoUi = Annotated[
    bool,
    typer.Option("--no-ui", help="Print the conversation as lines instead of the TUI (user:, "
                 "assistant:, tool calls, notices); lines piped or typed on stdin are sent as "
                 "messages; the end of their input (Ctrl+D) ends the run once the last one is "
                 "answered. Needed without a terminal."),
]
Events = Annotated[
    bool,
    typer.Option("--events", help="With --no-ui: print the event flow, one line per event, "
                 "instead of the conversation."),
]
Turns = Annotated[
    str | None,
    typer.Option(metavar="N", help="With --no-ui: exit after this many completed responses "
                 "(piped lines left are not sent)."),
]
BargeIn = Annotated[
    bool | None,
    typer.Option(
        "--barge-in/--no-barge-in",
        help=env_help("Let your speech interrupt the assistant. Default: on when echo "
                      "cancellation runs, else off (the mic is muted while the assistant "
                      "speaks).", "VOICECHAT_BARGE_IN"),
    ),
]
Aec = Annotated[
    bool | None,
    typer.Option(
        "--aec/--no-aec",
        help=env_help("Echo cancellation between speaker and mic. Default: on with sound "
                      "devices, off with a file mic or speaker.", "VOICECHAT_AEC"),
    ),
]
Theme = Annotated[
    str | None,
    typer.Option(metavar="NAME",
                 help=env_help("TUI theme: dark, light, high-contrast, or one of yours.",
                               "VOICECHAT_THEME")),
]
Dialect = Annotated[
    str | None,
    typer.Option(metavar="[ga|beta]", autocompletion=completer(DIALECTS),
                 help=env_help("Protocol dialect of the endpoint.", "VOICECHAT_DIALECT")),
]
Voice = Annotated[
    str | None,
    typer.Option(metavar="NAME",
                 help=env_help("The assistant's voice (e.g. marin, alloy).", "VOICECHAT_VOICE")),
]
Verbose = Annotated[
    int,
    typer.Option("--verbose", "-v", count=True, show_default=False,
                 help="More log lines (-v: info, -vv: debug, libraries included)."),
]
ServeVerbose = Annotated[
    int,
    typer.Option("--verbose", "-v", count=True, show_default=False,
                 help="More log lines (-v: the WebRTC libraries' ICE lines, -vv: debug)."),
]
ConnectTimeout = Annotated[
    float | None,
    typer.Option(metavar="SECONDS", min=0.1, max=3600,
                 help=env_help("Seconds each connection step may go unanswered (default 10).",
                               "VOICECHAT_CONNECT_TIMEOUT")),
]
ToolApproval = Annotated[
    str | None,
    typer.Option(metavar="[ask|auto|deny]", autocompletion=completer(("ask", "auto", "deny")),
                 help=env_help("May the model run a tool: ask each time (default; --no-ui "
                               "without a terminal denies), auto, or deny.",
                               "VOICECHAT_TOOL_APPROVAL")),
]
McpConfig = Annotated[
    Path | None,
    typer.Option(metavar="FILE",
                 help=env_help("An mcpServers JSON file (the one other MCP hosts read): the "
                               "model may call those servers' tools.", "VOICECHAT_MCP_CONFIG")),
]
Resume = Annotated[
    Path | None,
    typer.Option(metavar="LOG",
                 help="Continue an earlier conversation: a --record log (or any log the doctor "
                 "reads) or a voicechat export --format json file; its turns are seeded into "
                 "the new session as text."),
]
LogLevel = Annotated[
    str | None,
    typer.Option(metavar="[debug|info|warning|error]", autocompletion=completer(LOG_LEVELS),
                 help="Log level (overrides -v)."),
]
Version = Annotated[
    bool,
    typer.Option("--version", is_eager=True, callback=_version,
                 help="Print the version and exit."),
]

# --- session settings (the TUI's settings screen changes them while you talk) -------------------

Speed = Annotated[
    float | None,
    typer.Option(metavar="0.25-1.5", help=env_help("The assistant's speaking speed (1 is normal).",
                                                   "VOICECHAT_SPEED")),
]
Instructions = Annotated[
    str | None, typer.Option(metavar="TEXT", help="The assistant's instructions."),
]
TurnDetection = Annotated[
    str | None,
    typer.Option(metavar="[server_vad|semantic_vad]",
                 autocompletion=completer(("server_vad", "semantic_vad")),
                 help="How the server finds the end of your turn: silence, or meaning."),
]
Eagerness = Annotated[
    str | None,
    typer.Option(metavar="[auto|low|medium|high]",
                 autocompletion=completer(("auto", "low", "medium", "high")),
                 help="semantic_vad: how soon the assistant answers."),
]
VadThreshold = Annotated[
    float | None,
    typer.Option(metavar="0-1", help="server_vad: speech threshold (higher: louder speech)."),
]
SilenceMs = Annotated[
    int | None,
    typer.Option(metavar="MS", help="server_vad: milliseconds of silence that end your turn."),
]
NoiseReduction = Annotated[
    str | None,
    typer.Option(metavar="[near_field|far_field|off]",
                 autocompletion=completer(("near_field", "far_field", "off")),
                 help="Input noise reduction: headset, laptop/room, or off."),
]
TranscriptionModel = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="The model that transcribes you (e.g. gpt-4o-transcribe)."),
]
TranscriptionLanguage = Annotated[
    str | None,
    typer.Option(metavar="CODE", help="The language you speak (ISO 639-1: en, zh, ...); "
                 "leave it out to auto-detect."),
]
TranscriptionPrompt = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="Words to expect (names, jargon) for the transcription."),
]
