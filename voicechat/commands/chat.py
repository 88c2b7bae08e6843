"""``voicechat`` (the main job): resolve settings, then the TUI or plain lines (``--no-ui``).

The ``--no-ui`` run (printing, stdin lines, when it is finished) is the line face,
:mod:`voicechat.lines`; the API family that feeds either face is picked once by
:func:`voicechat.families.family_for`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

from voicechat.commands.preflight import check_before_connecting
from voicechat.config import ConfigError, resolve


def run(
    *,
    server: str | None = None,
    provider: str | None = None,
    transport: str | None = None,
    api: str | None = None,
    model: str | None = None,
    mode: str | None = None,
    mic: str | None = None,
    speaker: str | None = None,
    record: Path | None = None,
    config: Path | None = None,
    no_ui: bool = False,
    events: bool = False,
    turns: int | str | None = None,
    barge_in: bool | None = None,
    aec: bool | None = None,
    theme: str | None = None,
    dialect: str | None = None,
    voice: str | None = None,
    verbose: int = 0,
    log_level: str | None = None,
    connect_timeout: float | None = None,
    tool_approval: str | None = None,
    mcp_config: Path | None = None,
    resume: Path | None = None,
    session: dict[str, Any] | None = None,
) -> int:
    flags: dict[str, Any] = {
        "server": server, "provider": provider, "transport": transport, "api": api,
        "model": model, "mode": mode,
        "mic": mic, "speaker": speaker, "record": record, "no_ui": no_ui, "turns": turns,
        "barge_in": barge_in, "aec": aec, "theme": theme, "dialect": dialect, "voice": voice,
        "connect_timeout": connect_timeout, "tool_approval": tool_approval,
        "mcp_config": mcp_config, "resume": resume,
    }
    flags.update(session or {})  # the session settings' flags (speed, turn detection, …)
    try:
        settings = resolve(flags, config_path=config)
        if settings.mcp_config is not None:  # a file pointed at on purpose: fail before starting
            from voicechat.runtime.tools.sources import read_mcp_json

            read_mcp_json(settings.mcp_config)
        if settings.resume is not None and settings.mode == "transcribe":
            raise ValueError("--resume continues a conversation, and --mode transcribe has "
                             "none (captions only); drop one of the two")
        if events and not settings.no_ui:
            raise ValueError("--events prints the event flow of --no-ui, and this run has the "
                             "TUI (its event pane shows the events); add --no-ui or drop "
                             "--events")
        if turns is not None and not settings.no_ui:
            # the flag only: `turns` in the config file is for the --no-ui runs it says
            raise ValueError("--turns ends a --no-ui run after N answers, and this run has "
                             "the TUI (you end it with q); add --no-ui or drop --turns")
        settings = check_before_connecting(settings)
        earlier = _earlier(settings.resume, settings.prices)
        log_file = _configure_logging(verbose, log_level, no_ui=settings.no_ui)
        if not settings.no_ui:
            check_terminal()
    except (ConfigError, ValueError) as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    from voicechat.families import family_for

    family = family_for(settings)
    if settings.no_ui:
        lines, seeded = family.lines(settings, earlier)
        return _run_lines(lines, settings, events, seeded)
    try:
        from voicechat.ui.app import run_app
    except ImportError as exc:
        print(
            f"voicechat: the TUI could not start ({exc}). Reinstall voicechat, or run "
            "without it: voicechat --no-ui",
            file=sys.stderr,
        )
        return 2
    runtime = family.ui_runtime(settings, earlier)
    code = run_app(runtime, theme=settings.theme, keymap=settings.keymap or None)
    saver = getattr(runtime, "saver", None)  # ctrl+s or save_transcripts (Realtime's)
    if saver is not None and saver.saved:  # where it is, once the screen is gone
        print(f"voicechat: the conversation is saved in {saver.path}", file=sys.stderr)
    if log_file is not None:
        print(f"voicechat: log lines are in {log_file}", file=sys.stderr)
    return code


def check_terminal() -> None:
    """The TUI draws on a terminal and reads its keys there: with stdin or stdout a pipe or a
    file (``voicechat </dev/null | head``, a CI job) it would write escape codes into the pipe
    and wait for keys nobody can press (issue 55, item 5). Checked last, so that every other
    mistake is said first."""
    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)):
        try:
            terminal = stream is not None and stream.isatty()
        except ValueError:  # closed
            terminal = False
        if not terminal:
            raise ValueError(f"the TUI needs a terminal, and {name} is not one (a pipe, a file "
                             "or nothing); run with --no-ui to print the conversation as lines "
                             "(and send piped lines as messages)")


def _earlier(resume: Path | None, prices: dict[str, dict[str, float]]) -> Any:
    """The conversation ``--resume`` continues, read before anything starts (a bad file is a
    usage error: exit 2 with the reader's message, which names the fix)."""
    if resume is None:
        return None
    from voicechat.conversation import ConversationError, load_conversation

    try:
        conversation = load_conversation(resume, prices=prices)
    except ConversationError as exc:
        raise ValueError(f"--resume: {exc}") from None
    # named as passed: a JSON export names the log it was made from, which the user may never
    # have seen (the notice said "from log.jsonl" for `--resume talk.json`)
    return dataclasses.replace(conversation, source=str(resume))


def _run_lines(family: Any, settings: Any, events: bool, earlier: Any = None) -> int:
    """``--no-ui``: the line face, fed by ``family`` (the conversation, or the event flow);
    ``earlier``: the turns ``--resume`` seeds (a ``SeedPlan``), shown first as earlier."""
    from voicechat.lines.run import run_lines

    return asyncio.run(run_lines(family, turns=settings.turns, events=events, earlier=earlier))


def _configure_logging(verbose: int, log_level: str | None, *, no_ui: bool) -> Path | None:
    """Only when asked (``-v``, ``--log-level``): stderr with --no-ui, a file under the TUI."""
    if not verbose and log_level is None:
        return None
    from voicechat.commands import logs

    level = logs.level_for(verbose, log_level, "warning")
    file = None if no_ui else logs.tui_log_file()
    logs.configure(level, logs.library_level_for(level, verbose), file=file)
    return file
