"""Themes as data files: every shipped theme parses, user themes load and override, errors are
reported rather than raised, and every ``$vc-*`` variable used in the app's CSS has a default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.color import Color

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, finish_turn, voice_turn
from voicechat.ui import app as app_module
from voicechat.ui.themes import (
    VARIABLE_DEFAULTS,
    load_theme_file,
    load_themes,
    shipped_theme_dir,
    user_theme_dir,
)
from voicechat.ui.widgets import status_bar, transcript, vad_timeline

SHIPPED = ["dark", "high-contrast", "light"]


def test_shipped_themes_parse_with_every_variable() -> None:
    themes, problems = load_themes([shipped_theme_dir()])
    assert problems == []
    assert sorted(themes) == SHIPPED
    for theme in themes.values():
        assert set(VARIABLE_DEFAULTS) <= set(theme.variables), theme.name
        for value in theme.variables.values():
            Color.parse(value)
    assert themes["light"].dark is False and themes["dark"].dark is True


def test_every_css_variable_has_a_default() -> None:
    css = "".join(m.DEFAULT_CSS for m in (transcript.Transcript, status_bar.StatusBar,
                                          vad_timeline.VadTimeline))
    css += app_module.VoiceChatApp.CSS
    used = set(re.findall(r"\$(vc-[a-z-]+)", css))
    assert used and used <= set(VARIABLE_DEFAULTS)


def test_user_theme_overrides_and_bad_files_are_reported(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "dark.toml").write_text('primary = "#FF0000"\n[variables]\nvc-user = "#00FF00"\n')
    (user / "broken.toml").write_text('primary = "not a colour"\n')
    (user / "typo.toml").write_text('primry = "#FF0000"\n')
    (user / "garbage.toml").write_text("this is = = not toml")
    themes, problems = load_themes([shipped_theme_dir(), user])
    assert themes["dark"].primary == "#FF0000"
    assert themes["dark"].variables["vc-user"] == "#00FF00"
    messages = {p.path.name: p.message for p in problems}
    assert "not a colour" in messages["broken.toml"]
    assert "primry" in messages["typo.toml"]
    assert "not valid TOML" in messages["garbage.toml"]


def test_user_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_theme_dir() == tmp_path / "voicechat" / "themes"


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "solar-flare.toml"
    path.write_text('primary = "#FFAA00"\n')
    assert load_theme_file(path).name == "solar-flare"


async def test_theme_flag_key_and_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    themes_dir = tmp_path / "xdg" / "voicechat" / "themes"
    themes_dir.mkdir(parents=True)
    (themes_dir / "mine.toml").write_text('primary = "#123456"\ndark = true\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    app = make_app(ScriptedHandle(), theme="light", theme_dirs=None)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "light"
        assert app.theme_cycle == [*SHIPPED, "mine"]
        await pilot.press("t")
        assert app.theme == "mine"
        await pilot.press("t")
        assert app.theme == "dark"


async def test_unknown_theme_falls_back_with_a_visible_warning() -> None:
    app = make_app(ScriptedHandle(), theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "dark"
        assert any("no-such-theme" in str(n.message) for n in app._notifications)


async def test_one_theme_list_everywhere() -> None:
    """--theme, the theme key, the palette and the unknown-theme message share one list:
    Textual's built-in themes (e.g. nord) are not offered next to ours."""
    app = make_app(ScriptedHandle(), theme="nord")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "dark"  # nord is not one of ours: refused, with the list
        warning = next(str(n.message) for n in app._notifications if "nord" in str(n.message))
        assert f"available: {', '.join(SHIPPED)}" in warning
        assert list(app.available_themes) == app.theme_cycle == list(SHIPPED)


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_text_colour_is_readable_on_every_background(name: str) -> None:
    """WCAG AA (4.5:1) for each colour text is drawn in, on each background it is drawn on:
    the status bar sits on ``panel``, the panes on ``surface``, the screen on ``background``.
    ``vc-vad-silence`` is the empty timeline track, a decoration and not text."""
    theme = load_themes([shipped_theme_dir()])[0][name]
    backgrounds = {key: Color.parse(getattr(theme, key)) for key in
                   ("background", "surface", "panel")}
    texts = {key: Color.parse(value) for key, value in theme.variables.items()
             if key.startswith("vc-") and key != "vc-vad-silence"}
    texts.update({key: Color.parse(getattr(theme, key)) for key in
                  ("foreground", "primary", "accent", "success", "warning", "error")})
    poor = [f"{text} on {bg}: {contrast(fg, bgc):.1f}"
            for text, fg in texts.items() for bg, bgc in backgrounds.items()
            if contrast(fg, bgc) < 4.5]
    assert poor == []


def test_theme_folder_sits_next_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One base for both (platformdirs), so they agree on macOS and Windows too."""
    from voicechat.paths import default_config_path

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_theme_dir().parent == default_config_path().parent


async def test_a_theme_switch_recolours_the_transcript_lines() -> None:
    """Transcript lines are drawn once and kept: a new theme must re-draw them in its colours
    (background and role label), and the text stays the same."""
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        handle.run(voice_turn("item_u1", "resp_1", "item_a1", ["Hi"], "hello")
                   + finish_turn("resp_1", "item_a1", "Hi"))
        app.sync()
        await pilot.pause()
        transcript = app.transcript
        first = transcript.render_line(0)
        app.theme = "light" if app.theme != "light" else "dark"
        await pilot.pause()
        await pilot.pause()
        again = transcript.render_line(0)
        assert again.text == first.text and again.text.startswith("You: hello")
        label = next(seg.style for seg in again if seg.text.startswith("You"))
        assert label is not None and label.bgcolor is not None
        assert label.bgcolor.triplet == transcript.rich_style.bgcolor.triplet  # type: ignore[union-attr]
        assert label != next(seg.style for seg in first if seg.text.startswith("You"))
