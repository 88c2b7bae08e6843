"""``voicechat`` (the main job): resolve settings, then the TUI or plain lines (``--no-ui``).

The ``--no-ui`` run (printing, when it is finished) lives in :mod:`voicechat.commands.headless`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from voicechat.config import ConfigError, resolve


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
    turns: int | None = None,
    barge_in: bool | None = None,
    aec: bool | None = None,
    theme: str | None = None,
    dialect: str | None = None,
) -> int:
    flags: dict[str, Any] = {
        "server": server, "transport": transport, "model": model, "mode": mode, "mic": mic,
        "speaker": speaker, "record": record, "no_ui": no_ui, "turns": turns,
        "barge_in": barge_in, "aec": aec, "theme": theme, "dialect": dialect,
    }
    try:
        settings = resolve(flags, config_path=config)
    except ConfigError as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    if settings.no_ui:
        from voicechat.commands.headless import run_headless

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

    return run_app(Runtime(settings), theme=settings.theme, keymap=settings.keymap or None)
