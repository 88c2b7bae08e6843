"""Values written as TOML, for ``voicechat config show`` (output a user can paste into the file).

Why its own few lines rather than a TOML writer package: the settings hold only strings,
numbers, booleans, lists of those and tables of those, and one line per key (tables inline) keeps
each setting on the line its origin comment is on. A TOML basic string is a JSON string (the same
escapes), so strings and keys are quoted by :func:`json.dumps`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(name: str) -> str:
    """``talk`` as it is, ``"gpt-4o"`` quoted only where TOML needs it (``"a.b"``, spaces)."""
    return name if _BARE_KEY.match(name) else _basic_string(name)


def _basic_string(text: str) -> str:
    """A TOML basic string: JSON's, with DEL escaped too (JSON leaves it bare; TOML forbids
    every control character but tab in a basic string)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """One value as TOML on one line (tables inline); :class:`TypeError` for what TOML lacks."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str | Path):
        return _basic_string(str(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(str(k))} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")
