"""``voicechat config path`` and ``voicechat config show``: no guessing where settings come from.

``path`` prints the config file and the theme folder (both from platformdirs, so they differ by
platform); ``show`` checks the file with the same schema a conversation uses and prints every
setting with its origin — a flag, an environment variable, a key of the file, or the default.
Keys are never printed, only whether one is set.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

from voicechat.config import ConfigError, Settings, resolve
from voicechat.paths import default_config_path, user_theme_dir
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable

HIDDEN = frozenset({"api_key"})
SCHEMA_NAMES = {"keymap": "keys", "session_overrides": "session"}
SKIPPED = frozenset({"origins", "config_path", "no_ui", "switch_keys"})  # switch_keys: keys


def run_path() -> int:
    config = default_config_path()
    themes = user_theme_dir()
    print(f"config file:  {config}{'' if config.exists() else '  (not created yet)'}")
    print(f"theme folder: {themes}{'' if themes.is_dir() else '  (not created yet)'}")
    return 0


def run_show(config: Path | None) -> int:
    try:
        settings = resolve({}, config_path=config)
    except ConfigError as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    where = settings.config_path or default_config_path()
    print(f"# config file: {where}{'' if settings.config_path else '  (none: defaults)'}")
    for line in describe(settings):
        print(line)
    return 0


def describe(settings: Settings) -> list[str]:
    """``name = value  # origin`` for every setting, keys reduced to set / not set."""
    lines = []
    for f in fields(settings):
        if f.name in SKIPPED:
            continue
        value = getattr(settings, f.name)
        # (a key pasted into another setting, a header in [voicechat.session], is masked too)
        shown = ("(set)" if value else "(not set)") if f.name in HIDDEN else \
            printable(redact_text(repr(value)))
        origin = settings.origins.get(SCHEMA_NAMES.get(f.name, f.name), "default")
        if f.name == "api_key":
            origin = "environment or config file"
        lines.append(f"{f.name} = {shown}  # {origin}")
    return lines
