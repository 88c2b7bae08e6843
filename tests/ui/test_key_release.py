"""Kitty key-release push-to-talk: the parser patch, the driver, and the app switching to hold.

Parser tests feed the exact bytes a kitty-protocol terminal sends (flags 1|2|8|16) through
Textual's own ``XTermParser``. App tests push those bytes through the parser *and* the real
:class:`KeyReleaseDriver.process_message` into a Pilot app on the scripted handle, so the path
from terminal bytes to ``talk_released()`` is the one a real terminal takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver
from textual.widgets import Input

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle
from voicechat.config import Settings
from voicechat.core import Session
from voicechat.runtime import Runtime
from voicechat.ui import key_release, keys
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.key_release import (
    EVENT_TYPES_KEY,
    KeyEventTypesReported,
    KeyReleased,
    KeyReleaseDriver,
)
from voicechat.ui.widgets.status_bar import StatusBar

# What kitty sends with flags 1|2|8|16 (press carries its text; :2 repeat, :3 release)
SPACE_PRESS = "\x1b[32;;32u"
SPACE_REPEAT = "\x1b[32;1:2;32u"
SPACE_RELEASE = "\x1b[32;1:3u"
A_PRESS = "\x1b[97;;97u"
A_RELEASE = "\x1b[97;1:3u"


@pytest.fixture
def patched() -> Iterator[None]:
    """The patch installed for one test, and Textual's parser restored after it."""
    was_installed = key_release.parser_patch_installed()
    key_release.install_parser_patch()
    yield
    if not was_installed:
        key_release.uninstall_parser_patch()


def parse(data: str, parser: XTermParser | None = None) -> list[tuple[str, str | None]]:
    parser = parser or XTermParser()
    return [(e.key, e.character) for e in parser.feed(data) if isinstance(e, events.Key)]


# --- the parser patch --------------------------------------------------------------------------


def test_textual_alone_cannot_parse_event_types() -> None:
    """The reason the patch exists (if Textual learns this, the patch can go)."""
    if key_release.parser_patch_installed():
        key_release.uninstall_parser_patch()
    with pytest.raises(ValueError, match="1:3"):
        parse(SPACE_RELEASE)


def test_press_repeat_and_release_of_space(patched: None) -> None:
    parser = XTermParser()
    assert parse(SPACE_PRESS, parser) == [("space", " ")]
    # the first event-typed sequence announces that releases will come, then the key itself
    assert parse(SPACE_REPEAT, parser) == [(EVENT_TYPES_KEY, None), ("space", " ")]
    assert parse(SPACE_REPEAT, parser) == [("space", " ")]  # announced once per parser
    assert parse(SPACE_RELEASE, parser) == [("release:space", None)]


def test_explicit_press_type_parses_like_a_plain_press(patched: None) -> None:
    parser = XTermParser()
    parse("\x1b[32;1:2;32u", parser)  # past the announcement
    assert parse("\x1b[32;1:1;32u", parser) == parse(SPACE_PRESS, parser) == [("space", " ")]


def test_letters_and_modified_keys(patched: None) -> None:
    parser = XTermParser()
    parse(SPACE_REPEAT, parser)
    assert parse(A_PRESS, parser) == [("a", "a")]
    assert parse("\x1b[97;1:2;97u", parser) == [("a", "a")]
    assert parse(A_RELEASE, parser) == [("release:a", None)]
    assert parse("\x1b[97;2:2;65u", parser) == parse("\x1b[97;2;65u", parser) == [("A", "A")]
    assert parse("\x1b[97;2:3u", parser) == [("release:shift+a", None)]
    assert parse("\x1b[116;5:2u", parser) == parse("\x1b[116;5u", parser) == [("ctrl+t", None)]
    assert parse("\x1b[116;5:3u", parser) == [("release:ctrl+t", None)]
    assert parse("\x1b[32;3:3u", parser) == [("release:alt+space", None)]


def test_functional_keys_repeat_as_presses_and_release(patched: None) -> None:
    parser = XTermParser()
    parse(SPACE_REPEAT, parser)
    # a held Backspace/Enter/arrow keeps working through auto-repeat
    assert parse("\x1b[127;1:2u", parser) == parse("\x1b[127u", parser) == [("backspace", "\x7f")]
    assert parse("\x1b[13;1:2u", parser) == parse("\x1b[13u", parser) == [("enter", "\r")]
    assert parse("\x1b[1;1:2A", parser) == parse("\x1b[A", parser) == [("up", None)]
    assert parse("\x1b[1;5:2A", parser) == parse("\x1b[1;5A", parser) == [("ctrl+up", None)]
    assert parse("\x1b[1;1:3A", parser) == [("release:up", None)]
    assert parse("\x1b[2;1:3~", parser) == [("release:insert", None)]
    assert parse("\x1b[57441;2:3u", parser) == [("release:left_shift", None)]


SEQUENCES_WITHOUT_EVENT_TYPES = [
    "a", " ", "\r", "\x7f", "\t", "\x1b", "\x1b[A", "\x1b[1;5C", "\x1b[3~", "\x1bOP", "\x1b[15~",
    SPACE_PRESS, A_PRESS, "\x1b[97;5u", "\x1b[97;2;65u", "\x1b[13u", "\x1b[57441u",
    "\x1b[<0;10;5M", "\x1b[<0;10;5m", "\x1b[I", "\x1b[O", "\x1b[200~hi there\x1b[201~",
    "hello", "\x1b[?2026;1$y",
]


@pytest.mark.parametrize("data", SEQUENCES_WITHOUT_EVENT_TYPES)
def test_everything_else_parses_exactly_as_before(data: str) -> None:
    def describe(parser: XTermParser) -> list[str]:
        return [repr(e) for e in parser.feed(data)] + [repr(e) for e in parser.feed("")]

    if key_release.parser_patch_installed():
        key_release.uninstall_parser_patch()
    before = describe(XTermParser())
    key_release.install_parser_patch()
    try:
        assert describe(XTermParser()) == before
    finally:
        key_release.uninstall_parser_patch()


def test_install_is_idempotent_and_uninstall_restores_textual() -> None:
    if key_release.parser_patch_installed():
        key_release.uninstall_parser_patch()
    original = XTermParser._parse_extended_key
    key_release.install_parser_patch()
    patched_fn = XTermParser._parse_extended_key
    key_release.install_parser_patch()
    assert XTermParser._parse_extended_key is patched_fn is not original
    assert parse(SPACE_RELEASE)[-1] == ("release:space", None)
    key_release.uninstall_parser_patch()
    assert XTermParser._parse_extended_key is original


def test_release_matching_ignores_modifiers_and_understands_textual_names() -> None:
    assert key_release.is_release_of("space", ["space"])
    assert key_release.is_release_of("shift+space", ["space"])
    assert key_release.is_release_of("t", ["ctrl+t"])  # ctrl let go first
    assert key_release.is_release_of("question_mark", ["?"])
    assert key_release.is_release_of("f5", ["x", " f5"])
    assert not key_release.is_release_of("a", ["space"])
    assert not key_release.is_release_of("left_shift", ["shift+space"])


# --- the driver --------------------------------------------------------------------------------


def test_app_uses_the_release_driver_only_in_place_of_the_linux_driver() -> None:
    assert key_release.driver_for(LinuxDriver) is KeyReleaseDriver
    assert key_release.driver_for(HeadlessDriver) is HeadlessDriver
    app = make_app(ScriptedHandle())
    assert app.driver_class is KeyReleaseDriver


def test_flags_are_textuals_plus_event_types() -> None:
    assert key_release.KITTY_FLAGS == 27  # 1 disambiguate | 2 event types | 8 all keys | 16 text
    assert key_release.SET_FLAGS == "\x1b[=27;1u"


async def test_driver_adds_event_types_after_textual_push_and_respects_the_opt_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``start_application_mode`` on top of a Linux driver whose terminal work is recorded."""
    written: list[str] = []

    def textual_start(self: LinuxDriver) -> None:
        self.write("\x1b[>25u")  # what Textual's own start writes for the kitty protocol

    monkeypatch.setattr(LinuxDriver, "start_application_mode", textual_start)
    monkeypatch.setattr(LinuxDriver, "write", lambda self, data: written.append(data))
    monkeypatch.setattr(LinuxDriver, "flush", lambda self: None)
    driver = KeyReleaseDriver(make_app(ScriptedHandle()))
    driver.start_application_mode()
    assert written == ["\x1b[>25u", "\x1b[=27;1u"]
    assert key_release.parser_patch_installed()
    key_release.uninstall_parser_patch()

    written.clear()
    monkeypatch.setattr("textual.constants.DISABLE_KITTY_KEY", True)
    driver.start_application_mode()
    assert written == ["\x1b[>25u"]
    key_release.uninstall_parser_patch()


async def test_driver_turns_synthetic_keys_into_messages() -> None:
    sent: list[Any] = []
    driver = KeyReleaseDriver(make_app(ScriptedHandle()))
    driver.send_message = sent.append  # type: ignore[method-assign]
    driver.process_message(events.Key(EVENT_TYPES_KEY, None))
    driver.process_message(events.Key("release:shift+space", None))
    driver.process_message(events.Key("space", " "))
    assert isinstance(sent[0], KeyEventTypesReported)
    assert isinstance(sent[1], KeyReleased) and sent[1].key == "shift+space"
    assert isinstance(sent[2], events.Key) and sent[2].key == "space"


# --- the app -----------------------------------------------------------------------------------


class Terminal:
    """Terminal bytes → patched parser → the real driver's ``process_message`` → the app."""

    def __init__(self, app: VoiceChatApp, pilot: Any) -> None:
        self.app, self.pilot = app, pilot
        self.parser = XTermParser()
        self.driver = KeyReleaseDriver(app)  # never started: only its message path is used

    async def send(self, *sequences: str) -> None:
        for data in sequences:
            for message in self.parser.feed(data):
                self.driver.process_message(message)
            await self.pilot.pause()
        self.app.sync()
        await self.pilot.pause()


def status_text(app: VoiceChatApp) -> str:
    return str(app.query_one(StatusBar).render())


def footer_talk_label(app: VoiceChatApp) -> str:
    """The talk key's label in the footer: exactly one of its two bindings is active."""
    [label] = [active.binding.description for active in app.screen.active_bindings.values()
               if active.binding.id in {keys.TALK, keys.TALK_HOLD}]
    return label


async def started(app: VoiceChatApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    app.sync()
    await pilot.pause()


async def test_first_release_switches_to_hold_then_hold_completes_a_turn(patched: None) -> None:
    handle = ScriptedHandle(mode="ptt", reply="Here you go.")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        term = Terminal(app, pilot)
        assert not app.hold_to_talk
        assert "push-to-talk (toggle)" in status_text(app)
        assert footer_talk_label(app) == "Talk (toggle)"

        # a quick tap: the press toggles open, the release (first one seen) switches to hold
        await term.send(SPACE_PRESS, SPACE_RELEASE)
        assert app.hold_to_talk
        assert "push-to-talk (hold)" in status_text(app)
        assert footer_talk_label(app) == "Talk (hold)"
        assert handle.session.view.ptt_style == "release"
        assert not handle.session.view.ptt_open  # the tap's release closed it (too short)
        assert "input_audio_buffer.commit" not in [e["type"] for e in handle.sent]

        # hold: press opens, auto-repeat changes nothing, release commits and asks for an answer
        handle.calls.clear()
        await term.send(SPACE_PRESS)
        assert "push-to-talk open" in status_text(app)
        handle.advance(0.6)
        await term.send(SPACE_REPEAT, SPACE_REPEAT, SPACE_REPEAT)
        handle.advance(0.6)
        assert handle.session.view.ptt_open
        assert "push-to-talk open" in status_text(app)
        await term.send(SPACE_RELEASE)
        handle.advance(1.0, mic_ms=0)
        await term.send()
        assert handle.calls == ["talk_pressed"] * 4 + ["talk_released"]
        sent = [e["type"] for e in handle.sent]
        assert sent.count("input_audio_buffer.commit") == 1
        assert sent.index("input_audio_buffer.commit") < sent.index("response.create")
        assert "push-to-talk closed" in status_text(app)
        history = "\n".join(app.transcript.history_lines())
        assert "Assistant: Here you go." in history


async def test_repeat_before_any_release_does_not_toggle(patched: None) -> None:
    """The announcement precedes the first repeat, so a first hold is a hold from the start."""
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        term = Terminal(app, pilot)
        await term.send(SPACE_PRESS)
        handle.advance(0.5)
        await term.send(SPACE_REPEAT)
        assert app.hold_to_talk
        handle.advance(0.5)
        await term.send(SPACE_REPEAT, SPACE_REPEAT)
        assert handle.session.view.ptt_open
        assert handle.calls.count("set_ptt_style:release") == 1
        handle.advance(0.5)
        await term.send(SPACE_RELEASE)
        sent = [e["type"] for e in handle.sent]
        assert sent.count("input_audio_buffer.clear") == 1  # opened once, never toggled shut
        assert sent[-2:] == ["input_audio_buffer.commit", "response.create"]


async def test_other_releases_are_swallowed_and_type_nothing(patched: None) -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        term = Terminal(app, pilot)
        await pilot.press("slash")
        box = app.query_one("#message", Input)
        assert app.focused is box
        await term.send(A_PRESS, "\x1b[97;1:2;97u", A_RELEASE, "\x1b[98;;98u", "\x1b[98;1:3u")
        assert box.value == "aab"  # the repeat typed, the releases did not
        assert "talk_released" not in handle.calls
        assert not handle.session.view.ptt_open


async def test_remapped_talk_key_release_is_recognised(patched: None) -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle, keymap={"talk": "ctrl+t"})
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        term = Terminal(app, pilot)
        await term.send(SPACE_REPEAT, SPACE_RELEASE)  # space is not the talk key any more
        assert app.hold_to_talk and "talk_released" not in handle.calls
        await term.send("\x1b[116;5u")
        assert handle.session.view.ptt_open
        handle.advance(1.2)
        await term.send("\x1b[116;1:3u")  # ctrl was let go first
        assert handle.calls[-1] == "talk_released"
        assert [e["type"] for e in handle.sent][-2:] == ["input_audio_buffer.commit",
                                                         "response.create"]


# --- the runtime's part --------------------------------------------------------------------------


async def test_runtime_switches_style_logs_it_and_keeps_it_for_a_reconnect() -> None:
    runtime = Runtime(Settings(server="local", mode="ptt", mic="none", speaker="none"))
    records: list[dict[str, Any]] = []
    runtime.subscribe(lambda record: records.append(record.event))
    runtime.set_ptt_style("release")
    runtime.set_ptt_style("release")  # no change: nothing logged twice
    assert runtime.session.view.ptt_style == "release"
    assert Session(runtime.policy).view.ptt_style == "release"  # what a reconnect builds
    assert [r for r in records if r["type"] == "local.key"] == [
        {"type": "local.key", "action": "ptt_style_release"}]
    assert any(r["type"] == "local.notice" and "push-to-talk style: release" in r["message"]
               for r in records)
    runtime.set_ptt_style("sideways")
    assert runtime.policy.ptt_style == "release"
    assert any(r["type"] == "local.notice" and "not 'sideways'" in r["message"] for r in records)


async def test_losing_terminal_focus_while_holding_lets_go(patched: None) -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        term = Terminal(app, pilot)
        await term.send(SPACE_PRESS, SPACE_REPEAT)
        handle.advance(1.0)
        await term.send("\x1b[O")  # focus out: the release may never come
        assert handle.calls[-1] == "talk_released"
        assert not handle.session.view.ptt_open
        await term.send("\x1b[I", SPACE_RELEASE)  # a late release changes nothing
        assert [e["type"] for e in handle.sent].count("input_audio_buffer.commit") == 1
