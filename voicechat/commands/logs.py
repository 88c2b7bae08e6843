"""Python logging for the commands: ``-v``/``-vv``/``--log-level``, and quiet libraries.

The WebRTC stack logs at INFO for every ICE check (aioice: four lines per session, none of which
a user can act on), so the libraries stay at WARNING unless the user asks for debug detail. Our
own loggers follow the requested level. The TUI owns the terminal, so there the lines go to a
log file (its path is printed when the app exits) instead of stderr.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

NOISY_LIBRARIES = ("aioice", "aiortc", "aiohttp.access", "httpx2", "mcp")
"""Loggers kept at WARNING unless asked for: per-packet and per-check lines, not user news."""

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


def level_for(verbose: int, log_level: str | None, default: str) -> int:
    """``--log-level`` wins; else each ``-v`` is one step down from ``default``."""
    if log_level is not None:
        if log_level.lower() not in LEVELS:
            raise ValueError(f"--log-level: {log_level!r} is not one of {', '.join(LEVELS)}")
        return LEVELS[log_level.lower()]
    base = LEVELS[default]
    return max(logging.DEBUG, base - 10 * verbose)


def library_level_for(level: int, verbose: int) -> int:
    """The noisy libraries: WARNING by default, INFO once ``-v`` is given, DEBUG with debug."""
    if level <= logging.DEBUG:
        return logging.DEBUG
    if verbose >= 1 and level <= logging.INFO:
        return logging.INFO
    return max(level, logging.WARNING)


def configure(level: int, library_level: int, *, stream: TextIO | None = None,
              file: Path | None = None,
              fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> logging.Handler:
    """Send log records at ``level`` and above to ``file`` or ``stream`` (stderr by default)."""
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(fmt, datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in NOISY_LIBRARIES:
        logging.getLogger(name).setLevel(library_level)
    return handler


def tui_log_file() -> Path:
    """Where the TUI's log lines go when ``-v`` or ``--log-level`` asks for them."""
    import platformdirs

    return Path(platformdirs.user_log_dir("voicechat", appauthor=False)) / "voicechat.log"
