"""Fixtures for the TUI tests: a scripted handle and an app bound to it, theme dirs pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.fakes import ScriptedHandle
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _no_user_themes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's own ~/.config/voicechat/themes must not change what the tests see."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def make_app(handle: ScriptedHandle, **kwargs: object) -> VoiceChatApp:
    kwargs.setdefault("theme_dirs", [shipped_theme_dir()])
    return VoiceChatApp(handle, **kwargs)  # type: ignore[arg-type]
