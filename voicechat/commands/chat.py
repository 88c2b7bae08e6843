"""``voicechat`` (the main job): resolve settings, then the TUI or plain lines (``--no-ui``).

``--no-ui`` prints the event flow as readable lines for scripts, CI and anyone without the TUI,
and exits after ``--turns N`` completed responses, or at the end of ``--mic FILE`` plus the reply.
Decision: audio payload events (``input_audio_buffer.append``, audio deltas) and streaming text
deltas are not printed (dozens per second would drown the lines that matter); the finished
transcripts are. Lines on stdin are sent as text messages (typed at a terminal, or piped, one per
turn: :mod:`voicechat.commands.stdin_lines`). Notices are printed whole: their fix is at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from voicechat.config import ConfigError, Settings, resolve

QUIET_TYPES = frozenset(
    {"input_audio_buffer.append", "response.output_audio.delta", "response.audio.delta",
     "response.output_audio_transcript.delta", "response.audio_transcript.delta",
     "response.output_text.delta", "response.text.delta",
     "conversation.item.input_audio_transcription.delta", "rate_limits.updated"}
)
ARROWS = {"in": "<-", "out": "->", "local": "::"}


def run(
    *,
    server: str | None = None,
    transport: str | None = None,
    model: str | None = None,
    mode: str | None = None,
    mic: str | None = None,
    speaker: str | None = None,
    record: Path | None = None,
    config: Path | None = None,
    no_ui: bool = False,
    turns: int | str | None = None,
    barge_in: bool | None = None,
    theme: str | None = None,
    dialect: str | None = None,
    voice: str | None = None,
    verbose: int = 0,
    log_level: str | None = None,
) -> int:
    flags: dict[str, Any] = {
        "server": server, "transport": transport, "model": model, "mode": mode, "mic": mic,
        "speaker": speaker, "record": record, "no_ui": no_ui, "turns": turns,
        "barge_in": barge_in, "theme": theme, "dialect": dialect, "voice": voice,
    }
    try:
        settings = resolve(flags, config_path=config)
        log_file = _configure_logging(verbose, log_level, no_ui=settings.no_ui)
    except (ConfigError, ValueError) as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    if settings.no_ui:
        return asyncio.run(run_headless(settings))
    try:
        from voicechat.ui.app import run_app
    except ImportError as exc:
        print(
            f"voicechat: the TUI could not start ({exc}). Reinstall voicechat, or run "
            "without it: voicechat --no-ui",
            file=sys.stderr,
        )
        return 2
    from voicechat.runtime import Runtime

    code = run_app(Runtime(settings), theme=settings.theme, keymap=settings.keymap or None)
    if log_file is not None:
        print(f"voicechat: log lines are in {log_file}", file=sys.stderr)
    return code


def _configure_logging(verbose: int, log_level: str | None, *, no_ui: bool) -> Path | None:
    """Only when asked (``-v``, ``--log-level``): stderr with --no-ui, a file under the TUI."""
    if not verbose and log_level is None:
        return None
    from voicechat.commands import logs

    level = logs.level_for(verbose, log_level, "warning")
    file = None if no_ui else logs.tui_log_file()
    logs.configure(level, logs.library_level_for(level, verbose), file=file)
    return file


def format_record(record: Any) -> str | None:
    """One readable line per record, or ``None`` for the high-rate events we do not print."""
    event = record.event
    kind = str(event.get("type", "?"))
    if kind in QUIET_TYPES:
        return None
    if kind == "local.notice":  # whole: the fix is at the end of the message
        text = f"notice {event.get('level', 'info')}: {event.get('message', '')}"
        return f"{record.t:8.2f} {ARROWS.get(record.dir, '  ')} {text}"
    try:
        from voicechat.eventlog.summary import summarize

        text = summarize(event)
    except ImportError:
        text = _summary(event)
    return f"{record.t:8.2f} {ARROWS.get(record.dir, '  ')} {text}"


def _summary(event: dict[str, Any]) -> str:
    kind = str(event.get("type", "?"))
    details = []
    for key in ("state", "reason", "level", "message", "action", "transcript", "text",
                "item_id", "detail", "source", "sink"):
        value = event.get(key)
        if isinstance(value, str | int | float) and value != "":
            details.append(f"{key}={value!r}" if key in ("transcript", "text", "message")
                           else f"{key}={value}")
    response = event.get("response")
    if isinstance(response, dict) and response.get("status"):
        details.append(f"status={response['status']}")
    error = event.get("error")
    if isinstance(error, dict):
        details.append(f"error={error.get('code')}: {error.get('message')}")
    return kind + (" " + " ".join(details) if details else "")


async def run_headless(settings: Settings, out: TextIO | None = None) -> int:
    """Run one conversation printing lines; returns the exit code."""
    from voicechat.audio.devices import AudioUnavailable
    from voicechat.audio.files import AudioFileError
    from voicechat.runtime import Runtime
    from voicechat.transport.auth import AuthError, ConnectError

    stream = out if out is not None else sys.stdout
    runtime = Runtime(settings)

    def show(record: Any) -> None:
        line = format_record(record)
        if line is None:
            return
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:
            # the reader went away (`voicechat --no-ui | head`): stop quietly, like any filter
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            runtime.finished.set()
            raise


    runtime.subscribe(show)
    try:
        await runtime.start()
    except (AuthError, ConnectError, AudioFileError, AudioUnavailable, ConfigError) as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        if isinstance(exc, AuthError | ConnectError):
            # The same advice the TUI shows in its problem banner.
            from voicechat.ui.problems import problem_from_exception

            print(f"  fix: {problem_from_exception(exc).fix}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. --record into a missing directory
        print(f"voicechat: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 1
    from voicechat.commands.stdin_lines import StdinLines

    loop = asyncio.get_running_loop()
    # Loops without signal support (Windows) raise NotImplementedError: Ctrl+C then ends the run
    # through KeyboardInterrupt instead.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, runtime.finished.set)
        loop.add_signal_handler(signal.SIGTERM, runtime.finished.set)
    lines = StdinLines(runtime, turns=settings.turns)
    lines.start()
    try:
        await runtime.finished.wait()
    finally:
        lines.stop()
        await runtime.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
    return runtime.exit_code or lines.exit_code
