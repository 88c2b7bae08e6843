"""Remappable keys: binding ids, validation of the config's [keys] table, footer display."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle
from voicechat.ui.keys import BINDING_IDS, KeymapError, validate_keymap


def test_every_documented_action_has_an_id() -> None:
    assert {"talk", "barge_in", "cancel", "mute", "type", "filter", "theme", "quit", "help",
            "events", "dismiss", "tool_details", "save",
            "settings", "latency"} == BINDING_IDS


def test_validate_keymap_names_the_bad_entry() -> None:
    assert validate_keymap({"talk": " ctrl+t , f5 "}) == {"talk": "ctrl+t,f5"}
    with pytest.raises(KeymapError, match="'tlak' is not a key binding; valid ids: barge_in"):
        validate_keymap({"tlak": "x"})
    with pytest.raises(KeymapError, match="talk must be a key name"):
        validate_keymap({"talk": ""})


async def test_remapped_key_works_and_old_one_does_not() -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle, keymap={"mute": "k", "talk": "ctrl+t"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        assert "toggle_mute" not in handle.calls
        await pilot.press("k")
        assert handle.calls.count("toggle_mute") == 1
        await pilot.press("ctrl+t")
        assert "talk_pressed" in handle.calls
        footer_keys = {k for k, b in app.active_bindings.items() if b.binding.id == "mute"}
        assert footer_keys == {"k"}


async def test_a_remapped_talk_key_keeps_working_and_relabelled_after_hold_to_talk() -> None:
    """The talk key is bound twice (toggle and hold labels): a user's remap moves both, exactly
    one is in the footer, and the key talks in either mode."""
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle, keymap={"talk": "k"})
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        app.sync()
        await pilot.pause()

        def footer() -> list[tuple[str, str | None]]:
            return [(key, active.binding.description)
                    for key, active in app.screen.active_bindings.items()
                    if active.binding.id in {"talk", "talk_hold"}]

        assert footer() == [("k", "Talk (toggle)")]
        await pilot.press("k")
        assert handle.calls.count("talk_pressed") == 1
        app.use_hold_to_talk()
        await pilot.pause()
        assert footer() == [("k", "Talk (hold)")]
        await pilot.press("k")
        assert handle.calls.count("talk_pressed") == 2
        await pilot.press("space")  # the default key is not bound any more
        assert handle.calls.count("talk_pressed") == 2


FULL_WIDTH_SPACE = "\u3000"  # what a Chinese or Japanese IME in full-width mode types


async def ime_space(app: Any, pilot: Any) -> None:
    """The key event a terminal's U+3000 becomes, exactly as Textual's input parser makes it
    (``XTermParser``); ``pilot.press`` would leave its character out."""
    (key,) = XTermParser().feed(FULL_WIDTH_SPACE)
    assert isinstance(key, events.Key) and key.key == "ideographic_space"
    app.post_message(key)
    await pilot.pause()


async def test_a_full_width_ime_space_talks_and_is_typed_in_the_message_box() -> None:
    """Issue 37: with a full-width IME on, the space bar sends U+3000 (Textual's
    ``ideographic_space``). It talks like space, in toggle and hold mode, without a second
    talk key in the footer; in the message box it is a character, not a key press."""
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        app.sync()
        await pilot.pause()
        await ime_space(app, pilot)
        assert handle.calls.count("talk_pressed") == 1
        talk_in_footer = [key for key, active in app.screen.active_bindings.items()
                          if active.binding.show and active.binding.action == "talk"]
        assert talk_in_footer == ["space"]
        app.use_hold_to_talk()
        await pilot.pause()
        await ime_space(app, pilot)
        assert handle.calls.count("talk_pressed") == 2
        await pilot.press("slash")
        await pilot.press("好")
        await ime_space(app, pilot)
        await pilot.press("的")
        assert app.query_one("#message").value == f"好{FULL_WIDTH_SPACE}的"
        assert handle.calls.count("talk_pressed") == 2


async def test_the_full_width_space_follows_a_remapped_talk_key() -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle, keymap={"talk": "k"})
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await ime_space(app, pilot)
        assert "talk_pressed" not in handle.calls  # the talk key is k now
        await pilot.press("k")
        assert handle.calls.count("talk_pressed") == 1


async def test_a_full_width_space_in_hands_free_mode_says_why_it_does_nothing() -> None:
    handle = ScriptedHandle(mode="vad")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await ime_space(app, pilot)
        await pilot.pause()
        assert any("push-to-talk is off" in str(n.message) for n in app._notifications)
