"""The TUI at 80×24 and what a new user reaches for: banners, footer, panes, feedback, help.

Driven by the scripted handle (the real session core) through Textual's Pilot.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.ui.conftest import make_app
from tests.ui.fakes import ScriptedHandle
from tests.ui.test_snapshots import conversation, no_devices
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.key_help import KeyHelp
from voicechat.ui.widgets.status_bar import StatusBar

SMALL = (80, 24)


async def started(app: VoiceChatApp, pilot: Any) -> None:
    """Started, and the footer laid out: it is refreshed after the first frame, which on a
    loaded machine can take more than one pause."""
    await app.workers.wait_for_complete()
    app.sync()
    await pilot.pause()
    for _ in range(100):
        keys = app.query_one(Footer).query(FooterKey)
        if keys and all(key.region.width for key in keys):
            return
        await pilot.pause(0.05)


def footer_keys(app: VoiceChatApp) -> dict[str, FooterKey]:
    """The footer's keys that are fully on screen, by action."""
    width = app.size.width
    return {key.action: key for key in app.query_one(Footer).query(FooterKey)
            if key.region.width and key.region.right <= width}


async def test_no_device_banners_take_one_line_each_and_can_be_dismissed() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SMALL) as pilot:
        await started(app, pilot)
        assert "dismiss_problems" not in footer_keys(app)
        no_devices(handle)
        app.sync()
        await pilot.pause()
        banner = app.problems
        assert banner.display and banner.region.height == 2
        assert str(banner.render()).startswith("⚠ No microphone — no audio input device")
        assert "dismiss_problems" in footer_keys(app)
        await pilot.click(banner)  # the full text, fix included
        await pilot.pause()
        assert banner.region.height > 4
        await pilot.press("x")
        await pilot.pause()
        assert not banner.display
        assert "dismiss_problems" not in footer_keys(app)


async def test_at_80_columns_the_event_pane_waits_and_the_footer_keeps_quit() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SMALL) as pilot:
        await started(app, pilot)
        conversation(handle)
        app.sync()
        await pilot.pause()
        pane = app.query_one("#right")
        assert not pane.display
        assert app.query_one("#captions").region.width == 80
        shown = footer_keys(app)
        assert {"quit", "key_help", "mute"} <= set(shown)
        await pilot.press("e")
        await pilot.pause()
        assert pane.display and pane.region.width >= 38
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert pane.display and pane.region.width == 60  # wide: half the screen
        await pilot.press("e")
        await pilot.pause()
        assert not pane.display  # the choice sticks at any width


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_footer_key_and_the_palette_hint_fit(size: tuple[int, int]) -> None:
    """Issue 36, item 5: at 80x24 the footer was cut ("f Fi") and "^p palette" never showed;
    with a problem banner up (its dismiss key) as the worst case."""
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        no_devices(handle)
        app.sync()
        await pilot.pause()
        await pilot.pause()
        keys = list(app.query_one(Footer).query(FooterKey))
        shown = [key.action for key in keys]
        assert {"dismiss_problems", "mute", "key_help", "quit", "toggle_events",
                "command_palette"} <= set(shown), shown
        assert all(key.region.right <= size[0] for key in keys), [
            (key.action, key.region) for key in keys]
        spans = sorted((key.region.x, key.region.right) for key in keys)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans)), spans


async def test_wide_terminal_shows_the_event_pane_by_default() -> None:
    app = make_app(ScriptedHandle())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert app.query_one("#right").display
        assert {"quit", "toggle_events"} <= set(footer_keys(app))
        # in ? and the palette: the footer fits 80 columns with the palette hint
        assert not {"cycle_theme", "cycle_filter"} & set(footer_keys(app))


@pytest.mark.parametrize(
    ("mode", "offered", "hidden"),
    [("vad", {"mute", "barge_in", "cancel", "focus_input"}, {"talk"}),
     ("ptt", {"talk", "mute", "barge_in", "cancel"}, set()),
     ("transcribe", {"mute"}, {"talk", "barge_in", "cancel", "focus_input"})],
)
async def test_the_footer_offers_what_the_mode_uses(
    mode: str, offered: set[str], hidden: set[str]
) -> None:
    handle = ScriptedHandle(mode=mode)
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.pause()
        shown = set(footer_keys(app))
        assert offered <= shown and not (hidden & shown)
        listed = [command.title for command in app.get_system_commands(app.screen)]
        assert listed.count("Keys") == 1, listed  # was twice: Textual's and ours
        titles = set(listed)
        assert ("Cancel the response" in titles) == (mode != "transcribe")
        assert ("Talk" in titles) == (mode == "ptt")
        if hidden:
            calls = list(handle.calls)
            await pilot.press("space")
            assert handle.calls == calls  # a hidden action's key does nothing


async def test_transcribe_timeline_has_no_assistant_row() -> None:
    app = make_app(ScriptedHandle(mode="transcribe"))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        timeline = str(app.timeline.render())
        assert "you " in timeline and "bot " not in timeline


async def test_mic_is_not_live_while_disconnected_or_after_the_file_ended() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        status = app.query_one(StatusBar)
        assert "mic live" in str(status.render())
        handle.connection_info = type(handle.connection_info)(
            "webrtc", "local", "gpt-realtime", "ga", "reconnecting")
        app.sync()
        assert "mic not connected" in str(status.render())
        handle.connection_info = type(handle.connection_info)(
            "webrtc", "local", "gpt-realtime", "ga", "connected")
        handle._emit("local", {"type": "local.mic.ended"})
        app.sync()
        assert "mic file ended" in str(status.render())


def toasts(app: Any) -> list[str]:
    """The notifications the app has shown, as text."""
    return [str(n.message) for n in app._notifications]


async def test_keys_with_nothing_to_do_say_why() -> None:
    """Issue 36, item 9: ``m`` with no microphone said "mic unmuted"; space in hands-free mode
    did nothing and said nothing."""
    from voicechat.core.inputs import SetMicAvailable

    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)

        await pilot.press("space")
        assert any("push-to-talk is off: in hands-free mode (VAD) just speak" in t
                   for t in toasts(app)), toasts(app)
        handle._apply(handle.session.handle(SetMicAvailable(False), handle.clock))
        app.sync()
        await pilot.pause()
        await pilot.press("m")
        assert any(t.startswith("no microphone to mute") for t in toasts(app)), toasts(app)
        assert "mic unmuted" not in toasts(app)
        assert "mic no device" in str(app.query_one(StatusBar).render())


async def test_mute_barge_in_and_cancel_say_what_they_did() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)

        await pilot.press("m")
        assert "mic muted (m unmutes)" in toasts(app)
        await pilot.press("m")
        assert "mic unmuted" in toasts(app)
        await pilot.press("b")
        assert "barge-in on" in toasts(app)
        await pilot.press("c")
        assert "nothing to cancel" in toasts(app)
        conversation(handle)  # ends with a response streaming
        app.sync()
        await pilot.press("c")
        assert "cancelling the response" in toasts(app)


async def test_question_mark_lists_the_keys_with_remaps() -> None:
    app = make_app(ScriptedHandle(), keymap={"mute": "k"})
    async with app.run_test(size=SMALL) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeyHelp)
        rows = {bound: text for bound, text, _usable in app.screen.rows}
        assert rows["k"] == "mute / unmute the mic"  # the remapped key, not m
        assert rows["?"] == "this key help" and rows["q"] == "quit"
        assert rows["space"].endswith("(not in vad mode)")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeyHelp)


async def test_the_key_help_scrolls_to_its_last_entry_at_80_by_24() -> None:
    """Issue 36, item 5: the list is taller than a 24-line screen; its last entries (the
    palette, the banner click) could not be reached."""
    from textual.containers import VerticalScroll

    app = make_app(ScriptedHandle())
    async with app.run_test(size=SMALL) as pilot:
        await started(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        assert box.virtual_size.height > box.scrollable_content_region.height  # it overflows
        assert box.max_scroll_y > 0
        for _ in range(12):
            await pilot.press("down")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y  # the end is reachable from the keyboard
        assert "on the problem banner" in app.export_screenshot().replace("&#160;", " ")
        await pilot.press("escape")


async def test_recording_from_the_palette_writes_the_event_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        app.call_later(commands["Record the event log"].callback)
        await pilot.pause()
        assert app.recording.on
        conversation(handle)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        app.call_later(commands["Stop recording"].callback)
        await pilot.pause()
        assert not app.recording.on
    [log] = tmp_path.glob("voicechat-*.jsonl")
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    kinds = [line["event"]["type"] for line in lines]
    assert "response.created" in kinds and "session.created" not in kinds  # from then on only
    assert (log.stat().st_mode & 0o777) == 0o600
