"""The settings screen and new sessions, on the real runtime and the real local server.

``s`` opens the screen; Apply sends one ``session.update`` that the validator passed; the status
bar shows what the server applied (``session.updated``). The voice is locked once the assistant
has spoken: the server's refusal is said, with the offer of a new session seeded with the
conversation. The command palette moves the conversation to another model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select

from tests import helpers
from tests.ui.test_app_fake import status_text
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.banner import ProblemBanner
from voicechat.ui.settings_screen import SettingsScreen
from voicechat.ui.themes import shipped_theme_dir
from voicechat.ui.widgets.message_box import MessageBox
from voicechat.ui.widgets.offer import NewSessionOffer

pytestmark = pytest.mark.slow

WIDE = (170, 40)  # room for the usage figures and the applied settings in the status bar


async def until(pilot: Any, predicate: Callable[[], bool], what: str) -> None:
    await helpers.until(predicate, what, sleep=pilot.pause)


def start(srv: LocalServer, **settings: Any) -> tuple[VoiceChatApp, Runtime, list[LogRecord]]:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none", local_voice="tone",
                               **settings), local_server=srv)
    records: list[LogRecord] = []
    runtime.subscribe(records.append)
    return VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()]), runtime, records


def of(records: list[LogRecord], direction: str, kind: str) -> list[dict[str, Any]]:
    return [r.event for r in records if r.dir == direction and r.event.get("type") == kind]


async def say(app: VoiceChatApp, pilot: Any, text: str) -> None:
    await pilot.press("slash")
    app.query_one("#message", MessageBox).value = text
    await pilot.press("enter")


async def apply_in_screen(app: VoiceChatApp, pilot: Any, **fields: str) -> SettingsScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "the settings screen")
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    for name, value in fields.items():
        widget = screen.query_one(f"#set-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await click_apply(pilot, screen)
    return screen


async def click_apply(pilot: Any, screen: SettingsScreen) -> None:
    """Click Apply and wait for its handler. ``pilot.click`` returns once the click is
    delivered; the button's ``Pressed`` reaches the screen after it, and on a loaded machine
    later still: CI (11-28) read the outcome right after the click and found the previous
    Apply's."""
    result = screen.query_one("#settings-result")
    said, outcome = str(result.render()), screen.outcome
    assert await pilot.click("#settings-apply"), "the click did not land on Apply"
    await helpers.until(lambda: screen.outcome is not outcome or str(result.render()) != said,
                        "the Apply's outcome", sleep=pilot.pause)


async def test_voice_and_turn_detection_go_out_validated_and_the_bar_shows_them() -> None:
    async with helpers.local_server() as srv:
        app, _runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: bool(of(records, "in", "session.updated")), "session")
            first = len(of(records, "out", "session.update"))
            screen = await apply_in_screen(app, pilot, voice="marin",
                                           turn_detection="semantic_vad", eagerness="low")
            assert screen.outcome is not None and screen.outcome.sent, screen.outcome
            await until(pilot, lambda: len(of(records, "in", "session.updated")) >= 2,
                        "the server's answer")
            update = of(records, "out", "session.update")[first]
            assert validate_client_event(update, Dialect.GA) is None
            assert update["session"]["audio"]["output"] == {"voice": "marin"}
            assert update["session"]["audio"]["input"]["turn_detection"] == {
                "type": "semantic_vad", "eagerness": "low", "create_response": True,
                "interrupt_response": False}
            await pilot.press("escape")
            await until(pilot, lambda: (app.sync() or True)
                        and "session marin · semantic_vad low" in status_text(app),
                        "the status bar to show what the server applied")
            await pilot.press("q")


async def test_the_settings_screen_opens_on_its_first_field() -> None:
    """Issue 36, item 9: it opened with nothing focused, so typing went nowhere."""
    async with helpers.local_server() as srv:
        app, _runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: bool(of(records, "in", "session.updated")), "session")
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, SettingsScreen), "the screen")
            await pilot.pause()
            assert app.screen.focused is not None
            assert app.screen.focused.id == "set-voice"
            await pilot.press("escape")
            await pilot.press("q")


async def test_a_bad_value_is_refused_before_anything_is_sent() -> None:
    async with helpers.local_server() as srv:
        app, _runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: bool(of(records, "in", "session.updated")), "session")
            sent = len(of(records, "out", "session.update"))
            screen = await apply_in_screen(app, pilot, speed="3")
            assert screen.outcome is not None and not screen.outcome.sent
            assert "Expected a value <= 1.5, but got 3" in screen.outcome.problem
            screen2 = app.screen
            assert isinstance(screen2, SettingsScreen)
            result = str(screen2.query_one("#settings-result").render())
            assert "session.update not sent" in result
            await pilot.click("#set-speed")
            screen2.query_one("#set-speed", Input).value = "fast"
            await click_apply(pilot, screen2)
            assert "Speed (0.25-1.5): 'fast' is not a number" in str(
                screen2.query_one("#settings-result").render())
            assert len(of(records, "out", "session.update")) == sent
            await pilot.press("escape", "q")


async def test_a_locked_voice_is_said_and_a_new_seeded_session_applies_it() -> None:
    async with helpers.local_server() as srv:
        app, runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: runtime.connection.state == "connected", "connection")
            await say(app, pilot, "remember the word pineapple")
            await until(pilot, lambda: runtime.completed_responses >= 1,
                        "a spoken answer")  # WebRTC: its audio came as RTP
            await apply_in_screen(app, pilot, voice="cedar")
            await until(pilot, lambda: isinstance(app.screen, NewSessionOffer),
                        "the offer of a new session")
            offer = app.screen
            assert isinstance(offer, NewSessionOffer)
            assert "keeps the voice once the assistant has spoken" in offer.text
            assert "Cannot update a conversation's voice" in offer.text
            assert runtime.live_settings.voice is None  # the refused change was taken back
            updates_before = len(of(records, "in", "session.created"))
            await pilot.press("y")
            await until(pilot, lambda: len(of(records, "in", "session.created")) > updates_before,
                        lambda: f"a new session: {[str(n.message) for n in app._notifications]}")
            await pilot.press("escape")  # the settings screen, under the offer
            await until(pilot, lambda: (app.sync() or True) and "session cedar" in status_text(
                app), lambda: f"the bar to show the voice: {status_text(app)}")
            seeded = [e["item"] for e in of(records, "out", "conversation.item.create")][1:]
            assert [part["text"] for item in seeded for part in item["content"]][:1] == [
                "remember the word pineapple"]
            assert runtime.live_settings.voice == "cedar"
            await pilot.press("escape", "q")


async def test_the_palette_moves_the_conversation_to_another_model() -> None:
    async with helpers.local_server() as srv:
        app, runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: runtime.connection.state == "connected", "connection")
            await say(app, pilot, "hello there")
            await until(pilot, lambda: runtime.completed_responses >= 1, "the first answer")
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Session settings" in titles
            assert "New session with model gpt-realtime-mini" in titles
            command = next(c for c in app.get_system_commands(app.screen)
                           if c.title == "New session with model gpt-realtime-mini")
            command.callback()
            await until(pilot, lambda: runtime.connection.model == "gpt-realtime-mini"
                        and runtime.connection.state == "connected"
                        and len(of(records, "in", "session.created")) >= 2, "the switch")
            created = of(records, "in", "session.created")[-1]
            assert created["session"]["model"] == "gpt-realtime-mini"
            app.sync()
            assert "gpt-realtime-mini" in status_text(app)
            await say(app, pilot, "and again")
            await until(pilot, lambda: runtime.completed_responses >= 2, "an answer there")
            texts = [part.get("text") for e in of(records, "out", "conversation.item.create")
                     for part in e["item"]["content"]]
            assert texts == ["hello there", "hello there", "You said: hello there", "and again"]
            await pilot.press("q")


async def test_a_refused_value_is_one_banner_that_goes_once_fixed() -> None:
    """Issue 55, item 11: speed 3 put two banners of the same error up (the notice's record
    and the view's notice, worded differently), and they stayed after a valid Apply."""
    async with helpers.local_server() as srv:
        app, _runtime, records = start(srv)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: bool(of(records, "in", "session.updated")), "session")
            banner = app.query_one(ProblemBanner)
            before = list(banner.problems)
            screen = await apply_in_screen(app, pilot, speed="3")
            assert screen.outcome is not None and not screen.outcome.sent
            await until(pilot, lambda: (app.sync() or True) and len(banner.problems)
                        > len(before), "the refusal's banner")
            await pilot.pause()
            app.sync()
            speed = [p for p in banner.problems if "output.speed" in str(p)]
            assert len(speed) == 1, banner.problems
            screen.query_one("#set-speed", Input).value = "1.2"
            await click_apply(pilot, screen)
            assert screen.outcome is not None and screen.outcome.sent, screen.outcome
            app.sync()
            assert banner.problems == before, banner.problems
            await pilot.press("escape", "q")


async def test_a_saved_conversation_after_a_model_switch_has_each_turn_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 55, item 12: after "New session with model …", ctrl+s saved the carried-over
    turns twice and labelled the whole file with the new model."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    async with helpers.local_server() as srv:
        app, runtime, records = start(srv)
        async with app.run_test(size=WIDE) as pilot:
            await until(pilot, lambda: runtime.connection.state == "connected", "connection")
            await say(app, pilot, "hello there")
            await until(pilot, lambda: runtime.completed_responses >= 1, "the first answer")
            command = next(c for c in app.get_system_commands(app.screen)
                           if c.title == "New session with model gpt-realtime-mini")
            command.callback()
            await until(pilot, lambda: runtime.connection.model == "gpt-realtime-mini"
                        and runtime.connection.state == "connected"
                        and len(of(records, "in", "session.created")) >= 2, "the switch")
            await say(app, pilot, "and again")
            await until(pilot, lambda: runtime.completed_responses >= 2, "an answer there")
            await pilot.press("ctrl+s")
            [saved] = (tmp_path / "data" / "voicechat" / "conversations").glob("*.md")
            text = saved.read_text(encoding="utf-8")
            said = [line.strip() for line in text.splitlines()]
            assert said.count("hello there") == 1, text
            assert said.count("You said: hello there") == 1, text
            assert "models gpt-realtime, then gpt-realtime-mini" in text, text
            switch = text.index("a new session with model gpt-realtime-mini")
            assert text.index("You said: hello there") < switch < text.index("and again")
            await pilot.press("q")
