"""The layers a setting can come from: a flag over an environment variable over the config file.

Why a module of its own: :mod:`voicechat.config` decides *what* a conversation's settings are
(which server, which key, which provider's rules); this one says *where* each value came from
and reads it as a typed value, so every error names the layer the user has to fix
("--mode", "environment variable VOICECHAT_MODE", "config file …, key mode") and a user who
never typed ``--mode`` is not told to change it. No I/O: the file is read before it gets here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from voicechat.config_schema import SCHEMA, ConfigError, ConfigFile

N = TypeVar("N", int, float)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Layers:
    """Flags over environment over the file, each value together with where it came from.

    The origin goes into every error message ("--mode", "environment variable VOICECHAT_MODE",
    "config file ~/.config/voicechat/config.toml, key mode"): a user who never typed ``--mode``
    must not be told to fix it."""

    def __init__(self, flags: Mapping[str, Any], env: Mapping[str, str], file: ConfigFile) -> None:
        self.flags = flags
        self.env = env
        self.file = file
        self.origins: dict[str, str] = {}

    def get(self, key: str, *, env: str | None = "schema", flag: bool = True) -> Any:
        """The first value given for ``key`` (``None`` if none), remembering its origin."""
        value, origin = self._lookup(key, env, flag)
        if origin is not None:
            self.origins[key] = origin
        return value

    def origin(self, key: str) -> str:
        """Where ``key``'s value came from, as an error names it (the key itself if nowhere)."""
        return self.origins.get(key, key)

    def _lookup(self, key: str, env: str | None, flag: bool) -> tuple[Any, str | None]:
        given = self.flags.get(key) if flag else None
        if given is not None and given != "":
            return given, "--" + key.replace("_", "-")
        env_name = (SCHEMA[key].env if key in SCHEMA else None) if env == "schema" else env
        if env_name and self.env.get(env_name):
            return self.env[env_name], f"environment variable {env_name}"
        if key in self.file.values:
            return self.file.values[key], self.file.origin(key)
        return None, None

    def choice(self, key: str, default: str) -> str:
        """A value from the key's declared choices; the error names where the bad one came from."""
        value = self.get(key)
        if value is None:
            return default
        allowed = SCHEMA[key].choices
        if value not in allowed:
            raise ConfigError(f"{self.origin(key)}: {value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def boolean(self, key: str) -> bool | None:
        """Flags and the file are typed already; an environment variable is parsed strictly."""
        value = self.get(key)
        if value is None or isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise ConfigError(f"{self.origin(key)}: {value!r} is not a boolean; use 1/0, true/false, "
                          "yes/no or on/off")

    def seconds(self, key: str, default: float) -> float:
        """A number of seconds above 0 and at most an hour."""
        number = self._ranged(key, real_number, lambda n: 0 < n <= 3600,
                              "a number of seconds above 0 and at most 3600")
        return default if number is None else number

    def bounded_int(self, key: str, low: int, high: int) -> int | None:
        """A whole number from ``low`` to ``high`` (a file's integer or a variable's digits),
        or ``None`` when not given."""
        return self._ranged(key, whole_number, lambda n: low <= n <= high,
                            f"a whole number from {low} to {high}")

    def positive_int(self, key: str) -> int | None:
        """A whole number of 1 or more, or ``None`` when not given."""
        return self._ranged(key, whole_number, lambda n: n >= 1, "a whole number of 1 or more")

    def text(self, key: str, *, env: str | None = "schema", flag: bool = True) -> str | None:
        """The value as text, or ``None`` when not given."""
        value = self.get(key, env=env, flag=flag)
        return None if value is None else str(value)

    def optional_choice(self, key: str) -> str | None:
        """:meth:`choice` with no default: ``None`` when not given."""
        return self.choice(key, "") or None

    def number(self, key: str, low: float, high: float) -> float | None:
        """A number from ``low`` to ``high``, or ``None`` when not given."""
        return self._ranged(key, real_number, lambda n: low <= n <= high,
                            f"a number from {low:g} to {high:g}")

    def prices(self, key: str) -> dict[str, dict[str, float]]:
        """``[voicechat.prices."MODEL"]`` (never from a flag): USD per 1M
        tokens overriding the built-in estimates (:mod:`voicechat.protocol.pricing`; fields
        ``text_input``, ``cached_text_input``, …); ``{}`` when not given."""
        from voicechat.protocol.pricing import PRICE_FIELDS

        value = self.get(key, flag=False)
        where = self.origin(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: must be a table of model tables")
        out: dict[str, dict[str, float]] = {}
        for model, table in value.items():
            if not isinstance(table, dict):
                raise ConfigError(f'{where}."{model}": must be a table')
            for field, price in table.items():
                if field not in PRICE_FIELDS:
                    raise ConfigError(f"{where}.\"{model}\".{field}: {field} is not a price; "
                                      f"use {', '.join(PRICE_FIELDS)}")
                if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
                    raise ConfigError(f'{where}."{model}".{field}: must be a non-negative number '
                                      "(USD per 1M tokens)")
            out[str(model)] = {str(k): float(v) for k, v in table.items()}
        return out

    def _ranged(self, key: str, read: Callable[[Any], N | None], within: Callable[[N], bool],
                wanted: str) -> N | None:
        """``key``'s value as ``read`` takes it and ``within`` accepts it, ``None`` when not
        given, else an error naming where it came from and what is ``wanted``."""
        value = self.get(key)
        if value is None:
            return None
        number = read(value)
        if number is None or not within(number):
            raise ConfigError(f"{self.origin(key)}: {value!r} is not {wanted}")
        return number


def whole_number(value: Any) -> int | None:
    """An int (not a bool), or text of decimal digits with an optional sign, else ``None``.

    Why not ``int(value)`` or ``str.isdigit``: ``int`` truncates 2.7 and overflows on
    ``inf``, and ``isdigit`` is true for "²", which ``int`` refuses; either way the command
    line printed Python's own "invalid literal for int()" instead of the setting's name.
    ``isdecimal`` is exactly what ``int`` reads (digits of any script: "٨٠" is 80)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if digits.isdecimal():
            return int(text)
    return None


def real_number(value: Any) -> float | None:
    """A number (not a bool) or text ``float`` reads, else ``None``; NaN stays NaN, which
    every range check refuses."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
