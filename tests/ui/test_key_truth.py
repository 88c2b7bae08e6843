"""Keys that tell the truth (issue 55, item 13): a remap never takes another action's key, every
hint names the key as the user bound it, and transcribe mode shows and answers what fits it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, user_speech, user_transcript
from tests.ui.test_app_fake import settle, started, status_text
from voicechat.ui.keys import KeymapError, validate_keymap
from voicechat.ui.palette import PaletteState, app_commands
from voicechat.ui.widgets.message_box import MessageBox


def toasts(app: object) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


def test_a_remap_onto_quits_key_is_refused_by_the_cli_naming_the_key_and_the_fix(
        tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[voicechat.keys]\nmute = "q"\n', encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop("OPENAI_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "voicechat", "--config", str(config), "--no-ui",
         "--server", "http://127.0.0.1:9", "--mic", "none", "--speaker", "none"],
        capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert ('[keys] mute = "q": q is already the key of quit (its default); give mute a key '
            'no other action uses, or move quit too') in done.stderr
    assert "[voicechat.keys]" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("keymap", "named"), [
    ({"quit": "m"}, "m is already the key of mute"),
    ({"mute": "z", "cancel": "z"}, "z is already the key of mute"),
    ({"mute": "ctrl+p"}, r"ctrl\+p is the command palette"),
])
def test_every_shared_key_is_refused(keymap: dict[str, str], named: str) -> None:
    with pytest.raises(KeymapError, match=named):
        validate_keymap(keymap)


def test_moving_both_is_fine() -> None:
    assert validate_keymap({"mute": "q", "quit": "ctrl+x"}) == {"mute": "q", "quit": "ctrl+x"}


async def test_the_mute_toast_names_the_key_as_bound() -> None:
    handle = ScriptedHandle()
    app = make_app(handle, keymap={"mute": "k"})
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        assert "mic muted (k unmutes)" in toasts(app)
        assert not any("m unmutes" in t for t in toasts(app))


def test_the_palette_hints_name_the_keys_as_bound() -> None:
    state = PaletteState(mode="ptt", muted=False, barge_in=True, recording=False,
                         problems=False, events_shown=True,
                         keymap={"cancel": "z", "save": "ctrl+w"})
    helps = {c.title: c.help for c in app_commands(state, lambda action: lambda: None)}
    assert helps["Cancel the response"].endswith("(z)")
    assert helps["Save the conversation"].endswith("(ctrl+w)")


async def test_transcribe_mode_says_captions_and_explains_the_reply_keys() -> None:
    handle = ScriptedHandle(mode="transcribe")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        bar = status_text(app)
        assert "no answer yet" not in bar and "barge-in" not in bar, bar
        assert "no captions yet" in bar, bar
        handle.run([*user_speech("item_u1"), user_transcript("item_u1", "Good morning.")])
        await settle(app, pilot)
        assert "1 caption " in status_text(app) + " ", status_text(app)
        await pilot.press("slash")
        await settle(app, pilot)
        assert any(t.startswith("transcribe mode only writes captions") for t in toasts(app))
        assert not isinstance(app.focused, MessageBox)
