"""``voicechat config path`` and ``voicechat config show``: no guessing where settings come from.

``path`` prints the config file and the theme folder (both from platformdirs, so they differ by
platform); ``show`` checks the file with the same schema a conversation uses and prints every
key of the file as TOML with its origin — an environment variable, a key of the file, or the
default (commented out) — so its output saved as a config file loads back. Keys are never
printed, only whether one is set and where.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicechat.commands.config_toml import toml_key, toml_value
from voicechat.config import ConfigError, Settings, resolve
from voicechat.config_schema import KEYS, SCHEMA, SECTION, ConfigFile, load
from voicechat.paths import default_config_path, user_theme_dir
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable

#: A key of the file read into a field of another name.
FIELDS = {"keys": "keymap", "session": "session_overrides"}
#: Keys never printed, only whether one is set and where.
SECRETS = ("openai_api_key", "azure_api_key", "xai_api_key", "gemini_api_key",
           "voicelive_api_key")
#: Variables read for a secret besides the schema's own.
EXTRA_ENV = {"gemini_api_key": ("GOOGLE_API_KEY",)}
HIDDEN = "(hidden)"


def run_path() -> int:
    config = default_config_path()
    themes = user_theme_dir()
    print(f"config file:  {config}{'' if config.exists() else '  (not created yet)'}")
    print(f"theme folder: {themes}{'' if themes.is_dir() else '  (not created yet)'}")
    return 0


def run_show(config: Path | None) -> int:
    try:
        settings = resolve({}, config_path=config)
        file = load(config or default_config_path(), explicit=config is not None)
    except ConfigError as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 2
    where = settings.config_path or default_config_path()
    print(f"# config file: {where}{'' if settings.config_path else '  (none: defaults)'}")
    for line in describe(settings, file, os.environ):
        print(line)
    return 0


def describe(settings: Settings, file: ConfigFile, env: Mapping[str, str]) -> list[str]:
    """Every key of the config file as TOML a user can paste into it: what a flag, a variable
    or the file gave is a line of its own (its origin in a comment), a default or a value
    resolving chose is a commented-out line, and a key is only said to be set or not.

    Issue 55, item 14: this printed the settings' field names (``keymap``,
    ``session_overrides``, ``api_key``, ``resume``, ``notes``), which the file refuses, as
    Python reprs, and never showed the xAI, Gemini or Voice Live keys."""
    lines = ["# Every setting as resolved, in the config file's own keys: save this as a config",
             "# file and it loads. Lines starting with # are defaults, or not set. Keys are never",
             "# printed: give them in their environment variables.",
             f"[{SECTION}]"]
    for key in KEYS:
        if key.name in SECRETS:
            lines.append(_secret_line(key.name, file, env))
            continue
        origin = settings.origins.get(key.name)
        if key.name == "voicelive_endpoint":
            value, origin = _env_or_file(key.name, file, env)
        else:
            value = getattr(settings, FIELDS.get(key.name, key.name))
        shown = f"{toml_key(key.name)} = {toml_value(_masked(key.name, value))}" \
            if value is not None else toml_key(key.name)
        if origin is None:
            note = "default" if value is not None else "not set"
            lines.append(f"# {shown}  # {note}")
        else:
            hidden = f"; the {HIDDEN} values are not printed" if HIDDEN in shown else ""
            lines.append(f"{shown}  # {printable(origin)}{hidden}")
    return lines


def _secret_line(name: str, file: ConfigFile, env: Mapping[str, str]) -> str:
    value, origin = _env_or_file(name, file, env)
    if value is None:
        return f"# {name} = \"…\"  # not set"
    return f"# {name} = \"…\"  # set ({printable(str(origin))}; never printed)"


def _env_or_file(name: str, file: ConfigFile, env: Mapping[str, str]) -> tuple[Any, str | None]:
    """A key that only the environment and the file give, with its origin (as resolving
    reads it: the variable first)."""
    schema_env = SCHEMA[name].env
    for variable in (*((schema_env,) if schema_env else ()), *EXTRA_ENV.get(name, ())):
        if env.get(variable):
            return env[variable], f"environment variable {variable}"
    if name in file.values:
        return file.values[name], file.origin(name)
    return None, None


def _masked(name: str, value: Any) -> Any:
    """``value`` with anything that looks like a credential masked, and an MCP server's
    ``env`` and ``headers`` values hidden whole (tokens there have no recognisable shape)."""
    if isinstance(value, Mapping):
        return {k: (HIDDEN if name in ("env", "headers") and not isinstance(v, Mapping)
                    else _masked(str(k), v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(name, v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Path):
        return redact_text(str(value))
    return value
