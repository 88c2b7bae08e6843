"""The ``voicechat`` command line: the only module that knows every layer.

Startup must stay fast (``voicechat --help`` is the first thing a newcomer runs), so this module
imports nothing heavy: each command imports its implementation from ``voicechat.commands`` inside
the function body. A test asserts that ``--help`` does not import textual, aiortc or numpy.

Options with a fixed set of values are plain strings checked by our own code, not enums: the
parser's messages for enums carried a validation library's "Value error," prefix and sometimes
dropped the bad value, and only our code knows whether a value came from a flag, an environment
variable or the config file. Shell completion still offers the choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voicechat import cli_options as opt
from voicechat import cli_scenarios
from voicechat.cli_env import EnvEpilogGroup

app = typer.Typer(
    name="voicechat",
    help=(
        "Talk to a real-time voice model from your terminal: OpenAI and Azure OpenAI Realtime "
        "(WebRTC or WebSocket), GPT-Live (--api live), Gemini Live (--provider gemini), xAI "
        "and Azure Voice Live (--provider xai, voice-live). With no API key it runs against an "
        "embedded offline server."
    ),
    cls=EnvEpilogGroup,  # its epilog: the environment variables, from the config schema
    no_args_is_help=False,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(
    name="config",
    help="Where the config file and the theme folder are, and what the settings resolve to.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app)


@app.callback(invoke_without_command=True)
def main_job(
    ctx: typer.Context,
    server: opt.Server = None,
    provider: opt.Provider = None,
    transport: opt.Transport = None,
    api: opt.Api = None,
    model: opt.Model = None,
    mode: opt.Mode = None,
    mic: opt.Mic = None,
    speaker: opt.Speaker = None,
    record: opt.Record = None,
    config: opt.Config = None,
    no_ui: opt.NoUi = False,
    events: opt.Events = False,
    turns: opt.Turns = None,
    barge_in: opt.BargeIn = None,
    aec: opt.Aec = None,
    theme: opt.Theme = None,
    dialect: opt.Dialect = None,
    voice: opt.Voice = None,
    verbose: opt.Verbose = 0,
    log_level: opt.LogLevel = None,
    connect_timeout: opt.ConnectTimeout = None,
    tool_approval: opt.ToolApproval = None,
    mcp_config: opt.McpConfig = None,
    resume: opt.Resume = None,
    speed: opt.Speed = None,
    instructions: opt.Instructions = None,
    turn_detection: opt.TurnDetection = None,
    eagerness: opt.Eagerness = None,
    vad_threshold: opt.VadThreshold = None,
    silence_ms: opt.SilenceMs = None,
    noise_reduction: opt.NoiseReduction = None,
    transcription_model: opt.TranscriptionModel = None,
    transcription_language: opt.TranscriptionLanguage = None,
    transcription_prompt: opt.TranscriptionPrompt = None,
    version: opt.Version = False,
) -> None:
    """Start a conversation (the TUI, or --no-ui for plain lines)."""
    if ctx.invoked_subcommand is not None:
        return
    from voicechat.commands import chat

    code = chat.run(
        server=server, provider=provider, transport=transport, api=api, model=model, mode=mode,
        mic=mic, speaker=speaker,
        record=record, config=config, no_ui=no_ui, events=events, turns=turns,
        barge_in=barge_in, aec=aec,
        theme=theme, dialect=dialect, voice=voice, verbose=verbose, log_level=log_level,
        connect_timeout=connect_timeout, tool_approval=tool_approval, mcp_config=mcp_config,
        resume=resume,
        session={
            "speed": speed, "instructions": instructions, "turn_detection": turn_detection,
            "eagerness": eagerness, "vad_threshold": vad_threshold, "silence_ms": silence_ms,
            "noise_reduction": noise_reduction, "transcription_model": transcription_model,
            "transcription_language": transcription_language,
            "transcription_prompt": transcription_prompt,
        },
    )
    raise typer.Exit(code)


@app.command(cls=opt.PlainUsage)
def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS",
                          help="Address to bind. Anything but loopback needs --api-key.")
    ] = "127.0.0.1",
    port: Annotated[str, typer.Option(metavar="PORT", help="TCP port (0 = any free port).")] = (
        "8765"
    ),
    voice: Annotated[
        str,
        typer.Option(metavar="[espeak|tone]", autocompletion=opt.completer(opt.VOICES),
                     help="espeak: real speech; tone: deterministic beeps."),
    ] = "espeak",
    responder: Annotated[
        str, typer.Option(metavar="SPEC", help="echo | script:FILE | chat:URL "
                          "(OpenAI-compatible chat endpoint).")
    ] = "echo",
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar=["VOICECHAT_SERVER_API_KEY", "VOICECHAT_SERVER_KEY"], show_envvar=True,
            metavar="KEY",
            help="Key clients must present (required off loopback). On the command line it is "
            "visible in ps: prefer --api-key-file or VOICECHAT_SERVER_API_KEY.",
        ),
    ] = None,
    api_key_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Read the server key from the first line of this file."),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ORIGIN",
            help="Trust this web origin like a native client (repeatable). Other pages need an "
            "ek_ key minted here.",
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Serve https/wss with this PEM certificate (with "
                     "--tls-key): Google's SDK connects only with wss://."),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The certificate's PEM private key."),
    ] = None,
    gemini_connection_s: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=1.0,
                     help="Gemini Live: how long a connection lives (goAway, then close 1011 "
                     "'Deadline expired'; the real service: about 600)."),
    ] = 600.0,
    asr_phrase: Annotated[
        list[str] | None,
        typer.Option(metavar="TEXT",
                     help="Recognise only these sentences (repeatable): the offline "
                     "recogniser's grammar, as voicechat test gives its scenario's say: lines."),
    ] = None,
    verbose: opt.ServeVerbose = 0,
    log_level: opt.LogLevel = None,
    xai_session_created: Annotated[
        bool,
        typer.Option("--xai-session-created/--no-xai-session-created",
                     help="The xAI personality (a grok-voice-* model) sends session.created "
                     "after conversation.created; --no-xai-session-created replays early 2026, "
                     "when xAI never sent it."),
    ] = True,
) -> None:
    """Run the local server: Realtime (WebRTC + WebSocket, GA + beta; the xAI and Azure Voice
    Live personalities), GPT-Live and Gemini Live."""
    from voicechat.commands import serve as serve_command

    raise typer.Exit(
        serve_command.run(
            host=host, port=opt.port_number(port), voice=opt.choice("--voice", voice, opt.VOICES),
            responder=responder, api_key=api_key, api_key_file=api_key_file,
            allow_origins=allow_origin or [], verbose=verbose, log_level=log_level,
            gemini_connection_s=gemini_connection_s, tls_cert=tls_cert, tls_key=tls_key,
            xai_session_created=xai_session_created, asr_phrases=asr_phrase or None,
        )
    )


@app.command(cls=opt.PlainUsage)
def validate(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="JSON file: a client event or a bare session object."),
    ],
    dialect: Annotated[
        str,
        typer.Option(metavar="[ga|beta]", autocompletion=opt.completer(opt.DIALECTS),
                     help="Dialect to validate against."),
    ] = "ga",
    azure: Annotated[
        bool, typer.Option("--azure", help="Azure OpenAI variant (deployment names).")
    ] = False,
    api: Annotated[
        str,
        typer.Option(metavar="[auto|realtime|live|gemini]",
                     help="API family: auto recognises GPT-Live and Gemini Live payloads from "
                     "their content."),
    ] = "auto",
    provider: Annotated[
        str | None,
        typer.Option(metavar="NAME", autocompletion=opt.completer(opt.PROVIDERS),
                     help="Lint against this provider's profile (xai, voice-live: their own "
                     "session shape and quirks; sets the dialect)."),
    ] = None,
) -> None:
    """Lint a session config or client event with the server's own error wording."""
    from voicechat.commands import validate as validate_command

    checked = opt.choice("--dialect", dialect, opt.DIALECTS)
    family = opt.choice("--api", api, ("auto", "realtime", "live", "gemini"))
    named = opt.choice("--provider", provider, opt.PROVIDERS) if provider is not None else None
    raise typer.Exit(validate_command.run(file, dialect=checked, azure=azure, api=family,
                                          provider=named))


# voicechat test and voicechat load: declared in cli_scenarios.py, registered here
app.command("test", cls=opt.PlainUsage)(cli_scenarios.test_scenarios)
app.command("load", cls=opt.PlainUsage)(cli_scenarios.load_scenario)


@app.command(cls=opt.PlainUsage)
def tools(
    config: opt.Config = None,
    mcp_config: opt.McpConfig = None,
    tool_approval: opt.ToolApproval = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the tools the model would get (source, name, approval, schema notes) without
    starting a conversation; says which MCP servers fail to start and why."""
    from voicechat.commands import tools as tools_command

    raise typer.Exit(tools_command.run(config=config, mcp_config=mcp_config,
                                       tool_approval=tool_approval, json_output=json_output))


@app.command(cls=opt.PlainUsage)
def doctor(
    log: Annotated[
        Path,
        typer.Argument(metavar="LOG",
                       help="Event log: ours (JSONL), a JSON array, or any text log."),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print findings as JSON.")] = False,
) -> None:
    """Diagnose an event log for the known Realtime failure modes."""
    from voicechat.commands import doctor as doctor_command

    raise typer.Exit(doctor_command.run(log, json_output=json_output))


@app.command(cls=opt.PlainUsage)
def export(
    log: Annotated[
        Path,
        typer.Argument(metavar="LOG", help="Event log (any format the doctor reads)."),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", metavar="[md|txt|json]",
                     autocompletion=opt.completer(("md", "txt", "json")),
                     help="Markdown, plain text, or JSON turns for programs. Default: from "
                     "-o's extension (.md, .txt, .json; none: md; another is refused), else "
                     "md."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Write here (mode 0600) instead of stdout.")
    ] = None,
) -> None:
    """Turn an event log into a readable conversation: turns, tool calls, cuts, cost."""
    from voicechat.commands import export as export_command

    raise typer.Exit(export_command.run(log, fmt=fmt, output=output))


@app.command(cls=opt.PlainUsage)
def replay(
    log: Annotated[Path, typer.Argument(metavar="LOG", help="Event log to replay.")],
    speed: Annotated[
        str, typer.Option(metavar="FACTOR", help="Playback speed factor (2 = twice as fast).")
    ] = "1",
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Print lines instead of the TUI.")] = False,
) -> None:
    """Replay a recorded session in the TUI's panes."""
    from voicechat.commands import replay as replay_command

    raise typer.Exit(replay_command.run(log, speed=opt.speed_factor(speed), no_ui=no_ui))


@app.command(cls=opt.PlainUsage)
def proxy(
    listen: Annotated[
        str, typer.Option(metavar="HOST:PORT",
                          help="Where apps connect (0 = any free port). Loopback only unless "
                          "--allow-remote.")
    ] = "127.0.0.1:8766",
    upstream: Annotated[
        str, typer.Option(metavar="[openai|azure|xai|voice-live|gemini|URL]",
                          help="Server to forward to; azure reads AZURE_OPENAI_ENDPOINT, "
                          "voice-live AZURE_VOICELIVE_ENDPOINT.")
    ] = "openai",
    record: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Record each session's events (JSONL); "
                                  "later sessions go to FILE-<session>.")
    ] = None,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Print lines instead of the TUI.")] = False,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote",
                           help="Listen on a non-loopback address (it forwards your apps' keys).")
    ] = False,
) -> None:
    """Proxy your app's Realtime or GPT-Live traffic (change only its base URL) and watch it
    live."""
    from voicechat.commands import proxy as proxy_command

    raise typer.Exit(proxy_command.run(listen=listen, upstream=upstream, record=record,
                                       no_ui=no_ui, allow_remote=allow_remote))


@app.command(cls=opt.PlainUsage)
def watch(
    call_id: Annotated[str, typer.Argument(metavar="CALL_ID", help="The WebRTC call to watch "
                                           "(the last part of the SDP answer's Location).")],
    server: Annotated[
        str, typer.Option(metavar="[openai|azure|xai|voice-live|gemini|URL]",
                          help="The call's server; its key from OPENAI_API_KEY or "
                          "AZURE_OPENAI_API_KEY (xai, voice-live and gemini have no WebRTC "
                          "sideband: watch them through voicechat proxy).")
    ] = "openai",
    record: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Record the call's events (JSONL).")
    ] = None,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Print lines instead of the TUI.")] = False,
    allow_send: Annotated[
        bool, typer.Option("--allow-send",
                           help="Send JSON events read from stdin to the call (--no-ui).")
    ] = False,
    api: Annotated[
        str, typer.Option("--api", metavar="[auto|realtime|live]",
                          help="Realtime call or GPT-Live session (auto: a live_ id is "
                          "GPT-Live).")
    ] = "auto",
) -> None:
    """Watch a live WebRTC call or GPT-Live session through its sideband; leaving does not
    hang it up."""
    from voicechat.commands import watch as watch_command

    if api not in ("auto", "realtime", "live"):
        raise typer.BadParameter(f"{api!r}: use auto, realtime or live", param_hint="--api")
    raise typer.Exit(watch_command.run(call_id, server=server, record=record, no_ui=no_ui,
                                       allow_send=allow_send, api=api))


@app.command(cls=opt.PlainUsage)
def devices() -> None:
    """List audio input and output devices."""
    from voicechat.commands import devices as devices_command

    raise typer.Exit(devices_command.run())


@config_app.command("path", cls=opt.PlainUsage)
def config_path() -> None:
    """Print where the config file and the user theme folder are (whether or not they exist)."""
    from voicechat.commands import config as config_command

    raise typer.Exit(config_command.run_path())


@config_app.command("show", cls=opt.PlainUsage)
def config_show(config: opt.Config = None) -> None:
    """Check the config file and print every setting with where it came from (keys hidden)."""
    from voicechat.commands import config as config_command

    raise typer.Exit(config_command.run_show(config))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
