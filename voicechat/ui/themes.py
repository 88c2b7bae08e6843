"""Themes as data files: ``themes/*.toml`` shipped in the wheel, then the user's theme folder.

Themes are TOML rather than TCSS because Textual's Theme API is the runtime switch (changing the
theme re-resolves variables without re-parsing stylesheets), and a data file is something a user
can copy and edit without knowing Python. The schema is documented in ``themes/README.md``.

Load order (later wins on a name clash): the shipped themes, then the user's theme folder,
``themes/`` next to the config file (both from platformdirs, see :mod:`voicechat.paths`;
``voicechat config path`` prints it). A broken file never stops the app: it is
skipped and reported as a :class:`ThemeProblem` so the UI can show it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

from voicechat import paths

DEFAULT_THEME = "dark"
"""The theme used when neither ``--theme`` nor the config file names one."""

VARIABLE_DEFAULTS: dict[str, str] = {
    "vc-user": "#7FC8F8",
    "vc-assistant": "#B9E08A",
    "vc-vad-speech": "#4FA3E0",
    "vc-vad-short": "#F96660",
    "vc-vad-playback": "#B9E08A",
    "vc-vad-silence": "#2C3440",
    "vc-mic-live": "#5BC98C",
    "vc-mic-muted": "#F96660",
    "vc-mic-ptt": "#F5A623",
    "vc-response-active": "#F5A623",
    "vc-event-in": "#7FC8F8",
    "vc-event-out": "#B9E08A",
    "vc-event-error": "#F96660",
    "vc-dim": "#8C96A5",
}
"""Defaults for voicechat's own CSS variables: Textual parses CSS before any theme is applied,
so every ``$vc-*`` used in a stylesheet must resolve even with a theme that omits it."""

_COLOR_FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
                 "background", "surface", "panel", "boost")
_THEME_FIELDS = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class ThemeProblem:
    """A theme file that could not be loaded, and why (shown in the app, never raised)."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"theme file {self.path}: {self.message}"


def shipped_theme_dir() -> Path:
    """Where the shipped themes live: inside the wheel, or ``themes/`` of a source checkout."""
    try:
        packaged = Path(str(resources.files("voicechat") / "themes"))
        if packaged.is_dir() and any(packaged.glob("*.toml")):
            return packaged
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - zip imports
        pass
    return Path(__file__).resolve().parent.parent.parent / "themes"


def user_theme_dir() -> Path:
    """The per-user theme folder, whether or not it exists (the same base as the config)."""
    return paths.user_theme_dir()


def theme_from_mapping(data: dict[str, Any], default_name: str) -> Theme:
    """Build a Textual theme from parsed TOML; raises ``ValueError`` naming the bad key."""
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; see themes/README.md")
    if "primary" not in data:
        raise ValueError("missing required key 'primary'")
    values = dict(data)
    values.setdefault("name", default_name)
    variables = values.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError("[variables] must be a table of name = \"colour\"")
    for key in _COLOR_FIELDS:
        if key in values:
            _check_color(key, values[key])
    for key, value in variables.items():
        if key.startswith("vc-"):
            _check_color(f"variables.{key}", value)
    values["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**values)


def _check_color(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a colour string, got {type(value).__name__}")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"{key} = {value!r} is not a colour ({exc})") from None


def load_theme_file(path: Path) -> Theme:
    """Parse one theme file; raises ``ValueError`` with a message fit for the user."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    return theme_from_mapping(data, path.stem)


def load_themes(
    dirs: Iterable[Path] | None = None,
) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """Every loadable theme from ``dirs`` (default: shipped, then user), and the failures."""
    search = list(dirs) if dirs is not None else [shipped_theme_dir(), user_theme_dir()]
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in search:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except (ValueError, TypeError) as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            themes[theme.name] = theme
    return themes, problems


def install(app: App[Any], themes: dict[str, Theme], requested: str | None) -> bool:
    """Make ``themes`` the app's only themes and activate ``requested`` (or the default).

    Textual registers about twenty built-in themes; left in place they showed up in the command
    palette and were accepted by ``--theme`` while the theme key cycled through ours and the
    unknown-theme message listed ours. One list everywhere: ours (shipped, then the user's).
    The built-ins stay only when no theme file could be loaded at all. Returns whether
    ``requested`` was one of them (``None`` counts as found: nothing was asked for)."""
    for theme in themes.values():
        app.register_theme(theme)
    found = requested is None or requested in themes
    if themes:
        if requested in themes:
            app.theme = str(requested)
        else:
            app.theme = DEFAULT_THEME if DEFAULT_THEME in themes else next(iter(themes))
        for name in BUILTIN_THEMES:
            if name not in themes:
                app.unregister_theme(name)
    elif requested is not None and app.get_theme(requested) is not None:
        app.theme = requested
        found = True
    return found


class ThemeSwitch:
    """The app's themes: loaded from the theme folders, installed once, cycled by the theme key.

    Loading never fails: broken files come back as :attr:`problems`."""

    def __init__(self, dirs: Iterable[Path] | None = None) -> None:
        self.themes, self.problems = load_themes(dirs)

    @property
    def names(self) -> list[str]:
        """Ours (shipped + user), in file order."""
        return list(self.themes)

    def install(self, app: App[Any], requested: str | None) -> list[str]:
        """Install into ``app``; returns warnings (unknown theme, skipped files) for the user."""
        warnings = []
        if not install(app, self.themes, requested):
            names = self.names or list(app.available_themes)
            warnings.append(f"Unknown theme {requested!r} — available: {', '.join(names)} — "
                            "Fix: use --theme with one of these names")
        warnings += [f"A theme file was skipped — {p} — Fix: see themes/README.md"
                     for p in self.problems]
        return warnings

    def after(self, current: str, names: list[str]) -> str:
        """The theme after ``current`` in ``names`` (the first when it is not one of them)."""
        index = names.index(current) + 1 if current in names else 0
        return names[index % len(names)]
