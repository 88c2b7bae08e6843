"""Keeping conversations in the TUI, on the real runtime and the real local server: a resumed
conversation's turns shown above the new ones, marked as earlier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import helpers
from tests.ui.conftest import SIZE
from tests.ui.test_app_fake import history_text
from voicechat.config import Settings
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir

pytestmark = pytest.mark.slow


def make(server: LocalServer, **settings: Any) -> tuple[VoiceChatApp, Runtime]:
    runtime = Runtime(Settings(server="local", transport="websocket", mic="none",
                               speaker="none", local_voice="tone", **settings),
                      local_server=server)
    return VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()]), runtime


def export_file(tmp_path: Path, *spoken: tuple[str, str]) -> Path:
    path = tmp_path / "earlier.json"
    turns = [{"speaker": who, "text": text} for who, text in spoken]
    path.write_text(json.dumps({"voicechat_conversation": 1, "turns": turns}), encoding="utf-8")
    return path


async def until(pilot: Any, app: VoiceChatApp, predicate: Any, what: str) -> None:
    def probe() -> bool:
        app.sync()
        return bool(predicate())

    await helpers.until(probe, what, sleep=pilot.pause)


@pytest.mark.script("Fresh answer.")
async def test_resumed_turns_show_above_the_new_ones_marked_as_earlier(
        server: LocalServer, tmp_path: Path) -> None:
    earlier = export_file(tmp_path, ("user", "Where did we stop?"),
                          ("assistant", "At chapter three."))
    app, runtime = make(server, resume=earlier)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, lambda: "Assistant (earlier): At chapter three." in
                    history_text(app), "the earlier turns")
        await pilot.press("slash", *"go on", "enter")
        await until(pilot, app, lambda: "Assistant: Fresh answer." in history_text(app),
                    "the new answer")
        lines = history_text(app).splitlines()
        order = [next(i for i, line in enumerate(lines) if line.startswith(prefix))
                 for prefix in ("You (earlier): Where did we stop?",
                                "Assistant (earlier): At chapter three.",
                                "You: go on", "Assistant: Fresh answer.")]
        assert order == sorted(order)
        assert runtime.resumed is not None and runtime.resumed.left_out == 0
        await pilot.press("q")


@pytest.mark.script("Saved answer.")
async def test_ctrl_s_saves_the_conversation_as_markdown_and_shows_where(
        server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "data" / "voicechat" / "conversations"
    app, runtime = make(server)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, lambda: runtime.connection.state == "connected", "connection")
        await pilot.press("ctrl+s")
        assert any("nothing to save yet" in str(n.message) for n in app._notifications)
        await pilot.press("slash", *"keep this", "enter")
        await until(pilot, app, lambda: "Assistant: Saved answer." in history_text(app),
                    "the answer")
        assert not folder.exists()  # nothing is written unasked
        await pilot.press("ctrl+s")
        [saved] = folder.glob("voicechat-*.md")
        assert any(f"conversation saved to {saved}" in str(n.message)
                   for n in app._notifications)
        text = saved.read_text(encoding="utf-8")
        assert text.startswith("# Conversation")
        assert text.index("keep this") < text.index("Saved answer.")
        assert saved.stat().st_mode & 0o777 == 0o600
        await pilot.press("ctrl+s")  # a second save rewrites the same file
        assert list(folder.glob("voicechat-*.md")) == [saved]
        await pilot.press("q")
    assert list(folder.glob("*")) == [saved]  # quitting saves nothing more


async def test_a_save_that_fails_says_where_and_what_to_check() -> None:
    from tests.ui.conftest import make_app
    from tests.ui.fakes import ScriptedHandle

    handle = ScriptedHandle()
    handle.save_result = PermissionError(13, "Permission denied", "/ro/voicechat-1.md")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        assert handle.calls.count("save_conversation") == 1
        messages = [str(n.message) for n in app._notifications]
        assert any("/ro/voicechat-1.md" in m and "Permission denied" in m and "writable" in m
                   for m in messages), messages


async def test_what_resuming_left_out_and_where_saving_goes_are_shown_as_toasts(
        server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voicechat.conversation.seed import MAX_SEED_TURNS

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spoken = [("user" if n % 2 == 0 else "assistant", f"turn {n}")
              for n in range(MAX_SEED_TURNS + 4)]
    app, runtime = make(server, resume=export_file(tmp_path, *spoken), save_transcripts=True)
    async with app.run_test(size=SIZE) as pilot:
        def toasts() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await until(pilot, app, lambda: any("oldest 4 turn(s) were left out" in t
                                            for t in toasts()), "the left-out toast")
        await until(pilot, app, lambda: any(f"saved to {runtime.saver.path}" in t
                                            for t in toasts()), "the saving toast")
        await until(pilot, app, lambda: "turn 103" in history_text(app), "the earlier turns")
        lines = history_text(app).splitlines()
        assert lines[0].startswith("You (earlier): turn 4")
        await pilot.press("q")
    assert runtime.saver.path.exists()  # save_transcripts: written at the end
