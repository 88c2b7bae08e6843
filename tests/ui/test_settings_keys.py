"""The settings key and screen on the scripted handle: ``s`` opens it, but not while typing."""

from __future__ import annotations

from textual.widgets import Input, Select

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle
from tests.ui.test_app_fake import started
from tests.ui.test_app_settings import click_apply
from voicechat.core.live_settings import LiveSettings
from voicechat.ui.settings_screen import SettingsScreen
from voicechat.ui.settings_ui import refusal_text


async def test_s_opens_the_settings_but_is_a_letter_in_the_message_box() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash", *"yes s", "enter")
        assert "send_text:yes s" in handle.calls
        assert not isinstance(app.screen, SettingsScreen)
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, SettingsScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Session settings" in titles


async def test_the_screen_shows_the_current_settings_and_hands_over_the_new_ones() -> None:
    handle = ScriptedHandle()
    handle.settings = LiveSettings(voice="marin", speed=1.2, silence_ms=500)
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert screen.query_one("#set-voice", Select).value == "marin"
        assert screen.query_one("#set-speed", Input).value == "1.2"
        assert screen.query_one("#set-silence_ms", Input).value == "500"
        screen.query_one("#set-noise_reduction", Select).value = "far_field"
        screen.query_one("#set-speed", Input).value = ""
        await click_apply(pilot, screen)
        assert handle.settings == LiveSettings(voice="marin", silence_ms=500,
                                               noise_reduction="far_field")
        assert "sent: settings" in str(screen.query_one("#settings-result").render())


def test_a_refusal_is_said_plainly() -> None:
    locked = refusal_text({"code": "cannot_update_voice",
                           "message": "Cannot update a conversation's voice if assistant audio "
                           "is present."}, ("voice cedar",))
    assert locked.startswith("The server keeps the voice once the assistant has spoken, so "
                             "voice cedar was not applied")
    assert "Start a new session with it?" in locked
    other = refusal_text({"code": "invalid_value", "message": "Nope."}, ())
    assert other.startswith("The server refused the change: Nope.")


async def test_turn_detection_in_push_to_talk_is_said_not_silently_dropped() -> None:
    from voicechat.config import Settings
    from voicechat.runtime import Runtime

    runtime = Runtime(Settings(server="local", mode="ptt", mic="none", speaker="none"))
    outcome = runtime.apply_settings(LiveSettings(turn_detection="semantic_vad"))
    assert not outcome.sent
    assert "only in VAD mode (this is ptt): start with --mode vad" in outcome.problem
