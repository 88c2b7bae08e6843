"""The TUI on a GPT-Live conversation (LiveRuntime against the real local server, Pilot): the
Realtime-only commands say why they do nothing, and ``ctrl+s`` saves the turns as heard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import helpers
from tests.speech import TEST_PHRASES, speech_wav
from tests.ui.conftest import SIZE
from voicechat.config import Settings
from voicechat.runtime.live import LiveRuntime
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.settings_screen import SettingsScreen
from voicechat.ui.themes import shipped_theme_dir

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
