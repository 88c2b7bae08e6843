"""The ``voicechat`` command line: the only module that knows every layer.

Startup must stay fast (``voicechat --help`` is the first thing a newcomer runs), so this module
imports nothing heavy: each command imports its implementation from ``voicechat.commands`` inside
the function body. A test asserts that ``--help`` does not import textual, aiortc or numpy.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="voicechat",
    help=(
        "Talk to a realtime voice model from your terminal (OpenAI and Azure OpenAI Realtime, "
        "WebRTC or WebSocket). With no API key it runs against an embedded offline server."
    ),
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class DialectChoice(StrEnum):
    ga = "ga"
    beta = "beta"


class TransportChoice(StrEnum):
    webrtc = "webrtc"
    websocket = "websocket"


class ModeChoice(StrEnum):
    vad = "vad"
    ptt = "ptt"
    transcribe = "transcribe"


class VoiceChoice(StrEnum):
    espeak = "espeak"
    tone = "tone"


@app.callback(invoke_without_command=True)
def main_job(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option(
            help="local | openai | azure | a base URL. Default: openai or azure when a key is "
            "configured, else the embedded local server."
        ),
    ] = None,
    transport: Annotated[TransportChoice | None, typer.Option(help="Media transport.")] = None,
    model: Annotated[str | None, typer.Option(help="Model (OpenAI) or deployment (Azure).")] = None,
    mode: Annotated[
        ModeChoice | None,
        typer.Option(help="vad: hands-free; ptt: push-to-talk; transcribe: live captions only."),
    ] = None,
    mic: Annotated[
        str | None, typer.Option(help="Input device name/index, or a WAV file played as the mic.")
    ] = None,
    speaker: Annotated[
        str | None, typer.Option(help="Output device name/index, a WAV file to record to, or none.")
    ] = None,
    record: Annotated[
        Path | None, typer.Option(help="Write the JSONL event log here (mode 0600).")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file to read.")] = None,
    no_ui: Annotated[
        bool, typer.Option("--no-ui", help="Print the event flow as lines instead of the TUI.")
    ] = False,
    turns: Annotated[
        int | None, typer.Option(help="With --no-ui: exit after this many completed responses.")
    ] = None,
    barge_in: Annotated[
        bool | None,
        typer.Option(
            "--barge-in/--no-barge-in",
            help="Let your speech interrupt the assistant. Default: on when echo cancellation "
            "runs, else off (the mic is muted while the assistant speaks).",
        ),
    ] = None,
    aec: Annotated[
        bool | None,
        typer.Option(
            "--aec/--no-aec",
            help="Echo cancellation between speaker and mic (env VOICECHAT_AEC). Default: on "
            "with sound devices, off with a file mic or speaker.",
        ),
    ] = None,
    theme: Annotated[str | None, typer.Option(help="TUI theme name.")] = None,
    dialect: Annotated[
        DialectChoice | None, typer.Option(help="Protocol dialect of the endpoint.")
    ] = None,
) -> None:
    """Start a conversation (the TUI, or --no-ui for plain lines)."""
    if ctx.invoked_subcommand is not None:
        return
    from voicechat.commands import chat

    code = chat.run(
        server=server,
        transport=transport.value if transport else None,
        model=model,
        mode=mode.value if mode else None,
        mic=mic,
        speaker=speaker,
        record=record,
        config=config,
        no_ui=no_ui,
        turns=turns,
        barge_in=barge_in,
        aec=aec,
        theme=theme,
        dialect=dialect.value if dialect else None,
    )
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind. Anything but loopback needs --api-key.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    voice: Annotated[
        VoiceChoice, typer.Option(help="espeak: real speech; tone: deterministic beeps.")
    ] = VoiceChoice.espeak,
    responder: Annotated[
        str, typer.Option(help="echo | script:FILE | chat:URL (OpenAI-compatible chat endpoint).")
    ] = "echo",
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="VOICECHAT_SERVER_KEY", help="Key clients must present (required off loopback)."
        ),
    ] = None,
) -> None:
    """Run the local Realtime-compatible server (WebRTC + WebSocket, GA + beta)."""
    from voicechat.commands import serve as serve_command

    raise typer.Exit(
        serve_command.run(
            host=host, port=port, voice=voice.value, responder=responder, api_key=api_key
        )
    )


@app.command()
def validate(
    file: Annotated[
        Path, typer.Argument(help="JSON file: a client event or a bare session object.")
    ],
    dialect: Annotated[
        DialectChoice, typer.Option(help="Dialect to validate against.")
    ] = DialectChoice.ga,
    azure: Annotated[
        bool, typer.Option("--azure", help="Azure OpenAI variant (deployment names).")
    ] = False,
) -> None:
    """Lint a session config or client event with the server's own error wording."""
    from voicechat.commands import validate as validate_command

    raise typer.Exit(validate_command.run(file, dialect=dialect.value, azure=azure))


@app.command()
def doctor(
    log: Annotated[
        Path, typer.Argument(help="Event log: ours (JSONL), a JSON array, or any text log.")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print findings as JSON.")] = False,
) -> None:
    """Diagnose an event log for the known Realtime failure modes."""
    from voicechat.commands import doctor as doctor_command

    raise typer.Exit(doctor_command.run(log, json_output=json_output))


@app.command()
def replay(
    log: Annotated[Path, typer.Argument(help="Event log to replay.")],
    speed: Annotated[float, typer.Option(help="Playback speed factor (2 = twice as fast).")] = 1.0,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Print lines instead of the TUI.")] = False,
) -> None:
    """Replay a recorded session in the TUI's panes."""
    from voicechat.commands import replay as replay_command

    raise typer.Exit(replay_command.run(log, speed=speed, no_ui=no_ui))


@app.command()
def devices() -> None:
    """List audio input and output devices."""
    from voicechat.commands import devices as devices_command

    raise typer.Exit(devices_command.run())


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
