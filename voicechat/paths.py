"""Where voicechat keeps per-user files: the config file and the theme folder.

Both come from ``platformdirs`` so they agree on every platform (``~/.config/voicechat`` on Linux,
honouring ``XDG_CONFIG_HOME``; ``~/Library/Application Support/voicechat`` on macOS;
``%APPDATA%`` on Windows). ``voicechat config path`` prints them, so nobody has to guess.
"""

from __future__ import annotations

from pathlib import Path


def user_config_dir() -> Path:
    """voicechat's per-user configuration folder, whether or not it exists."""
    import platformdirs

    return Path(platformdirs.user_config_dir("voicechat", appauthor=False))


def default_config_path() -> Path:
    """``config.toml`` in :func:`user_config_dir`."""
    return user_config_dir() / "config.toml"


def user_theme_dir() -> Path:
    """The per-user theme folder (``themes/`` next to the config file)."""
    return user_config_dir() / "themes"


def user_log_dir() -> Path:
    """Per-user log folder (``~/.local/state/voicechat/log`` on Linux, honouring
    ``XDG_STATE_HOME``): the TUI's log lines and each MCP server's stderr go here."""
    import platformdirs

    return Path(platformdirs.user_log_dir("voicechat", appauthor=False))


def user_data_dir() -> Path:
    """Per-user data folder (``~/.local/share/voicechat`` on Linux, honouring
    ``XDG_DATA_HOME``): what voicechat keeps for the user, such as saved conversations."""
    import platformdirs

    return Path(platformdirs.user_data_dir("voicechat", appauthor=False))


def conversations_dir() -> Path:
    """Where saved conversations go (``ctrl+s``, ``save_transcripts``)."""
    return user_data_dir() / "conversations"
