"""The TUI on a GPT-Live conversation (LiveRuntime against the real local server, Pilot): the
Realtime-only commands say why they do nothing, ``ctrl+s`` saves the turns as heard, and the
status bar and footer show GPT-Live's facts rather than Realtime's labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests import helpers
from tests.speech import TEST_PHRASES, speech_wav
from tests.ui.conftest import SIZE
from voicechat.config import Settings
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.key_help import KeyHelp
from voicechat.ui.settings_screen import SettingsScreen
from voicechat.ui.themes import shipped_theme_dir
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.vad_timeline import VadTimeline

pytestmark = pytest.mark.slow


def messages(app: VoiceChatApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def until(pilot: Any, predicate: Any, what: str) -> Any:
    return await helpers.until(predicate, what, sleep=pilot.pause)


async def test_realtime_only_commands_explain_and_ctrl_s_saves_the_live_turns(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], tail_s=4.0)
    runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                   transport="websocket", mic=str(wav), speaker="none",
                                   local_voice="tone"), local_server=server)
    app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
    picture = tmp_path / "p.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.live_view.state == "active", "session.started")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("nothing to save yet" in m for m in messages(app)),
                    "nothing saved before a turn")
        await pilot.press("s")
        await until(pilot, lambda: any("GPT-Live fixes" in m for m in messages(app)),
                    "the settings notice")
        assert not isinstance(app.screen, SettingsScreen)
        await pilot.press("slash", *f"/image {picture}", "enter")
        await until(pilot, lambda: any("takes no pictures" in m for m in messages(app)),
                    "the image notice")
        await until(pilot, lambda: any(t.speaker == "assistant" and t.text.strip()
                                       for t in runtime.live_view.turns), "an answer")
        await pilot.press("ctrl+s")
        saved = await until(pilot, lambda: [m for m in messages(app) if "saved to" in m],
                            "the saved path")
        await pilot.press("q")
    [path] = list((tmp_path / "data" / "voicechat" / "conversations").glob("*.md"))
    assert str(path) in saved[0]
    text = path.read_text(encoding="utf-8")
    assert TEST_PHRASES[0].lower() in text.lower() and "gpt-live-1" in text
    assert path.stat().st_mode & 0o777 == 0o600


def status_text(app: VoiceChatApp) -> str:
    return str(app.query_one(StatusBar).render())


def footer_actions(app: VoiceChatApp) -> set[str]:
    return {key.action for key in app.query_one(Footer).query(FooterKey)}


async def test_the_status_bar_and_footer_say_what_is_true_of_gpt_live(
    tmp_path: Path
) -> None:
    """No Realtime labels (VAD, barge-in, response ids), the mic always on, the model deciding
    turns, "speaking" from playback, the time left; no talk or barge-in key in the footer, and
    those keys, pressed, say why."""
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], tail_s=4.0)
    async with helpers.local_server(asr_phrases=TEST_PHRASES,
                                    live_session_max_s=1800.0) as server:
        runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                       transport="websocket", mic=str(wav), speaker="none",
                                       local_voice="tone"), local_server=server)
        app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: runtime.live_view.state == "active", "session.started")
            await until(pilot, lambda: "always on" in status_text(app), "the mic always on")
            text = status_text(app)
            assert "turns model decides" in text and "ends in 29 min" in text
            assert "listening" in text
            for realtime_only in ("VAD", "barge-in", "response", "push-to-talk"):
                assert realtime_only not in text
            shown = footer_actions(app)
            assert {"mute", "cancel", "focus_input", "quit"} <= shown
            assert not shown & {"talk", "talk_hold", "barge_in"}
            await until(pilot, lambda: runtime.speaking
                        and "assistant speaking" in status_text(app), "speaking, from playback")
            # the user's speech on the timeline too (it showed only the assistant's: issue 36)
            timeline = app.query_one(VadTimeline)
            await until(pilot, lambda: (app.sync() or True) and any(
                seg.kind == "user" and seg.end is not None and seg.end > seg.start
                for seg in timeline.segments), "the user's speech on the timeline")
            await pilot.press("b")
            await until(pilot, lambda: any("model decides when to yield" in m
                                           for m in messages(app)), "why no barge-in key")
            await pilot.press("space")
            await until(pilot, lambda: any("no push-to-talk" in m for m in messages(app)),
                        "why no talk key")
            assert not any(m.startswith("barge-in") for m in messages(app))
            await pilot.press("question_mark")
            help_screen = await until(pilot, lambda: isinstance(app.screen, KeyHelp)
                                      and app.screen, "the key help")
            usable = {text.split(":")[0]: ok for _, text, ok in help_screen.rows}
            assert not usable["barge-in on / off"] and usable["cancel"]
            await pilot.press("escape", "q")


async def test_a_typed_line_shows_as_the_users_turn_and_is_answered(
    server: LocalServer,
) -> None:
    """Issue 36, item 3: on the local server the typed line vanished (no transcript entry, no
    answer, no notice); the README offers exactly this as the offline way to try GPT-Live."""
    runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                   transport="websocket", mic="none", speaker="none",
                                   local_voice="tone"), local_server=server)
    app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.live_view.state == "active", "session.started")
        app.sync()
        await pilot.pause()
        # no mic at all: not "always on" beside the "no microphone" problem (issue 36, item 9)
        assert "mic no device" in status_text(app) and "always on" not in status_text(app)
        await pilot.press("slash", *"hello there", "enter")
        await until(pilot, lambda: any(t.speaker == "assistant" and "hello there" in t.text
                                       for t in runtime.live_view.turns), "the answer")
        speakers = [(t.speaker, t.text.strip()) for t in runtime.live_view.turns]
        assert speakers[0] == ("user", "hello there"), speakers
        await until(pilot, lambda: any("You: hello there" in line
                                       for line in app.transcript.history_lines()),
                    "the typed line in the transcript")
        await pilot.press("q")
