"""The TUI on a Gemini Live conversation (GeminiRuntime against the real local server, Pilot):
a typed line and its answer in the transcript, a spoken turn, the status bar's Gemini facts
(the mic always on, the server's VAD deciding turns), the VAD pane saying the service sends no
speech markers, and the Realtime-only keys saying why they do nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests import helpers
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.runtime.gemini import GeminiRuntime, GeminiTarget
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.vad_timeline import NO_MARKERS, VadTimeline

pytestmark = pytest.mark.slow


async def until(pilot: Any, predicate: Any, what: str) -> Any:
    return await helpers.until(predicate, what, sleep=pilot.pause)


def status_text(app: VoiceChatApp) -> str:
    return str(app.query_one(StatusBar).render())


def messages(app: VoiceChatApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_gemini_conversation_in_the_tui(server: LocalServer, tmp_path: Path) -> None:
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], lead_s=1.0, tail_s=4.0)
    settings = Settings(server="local", model="gemini-live", mic=str(wav), speaker="none",
                        local_voice="tone")
    runtime = GeminiRuntime(settings, GeminiTarget(server="local", api_key=None,
                                                   model="gemini-live"), local_server=server)
    app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: runtime.gemini_view.state == "ready", "setupComplete")
        await until(pilot, lambda: "always on" in status_text(app), "the mic always on")
        text = status_text(app)
        assert "turns server VAD (Gemini)" in text and "listening" in text
        for realtime_only in ("barge-in", "response", "push-to-talk", "GPT-Live"):
            assert realtime_only not in text
        shown = {key.action for key in app.query_one(Footer).query(FooterKey)}
        assert {"cancel", "focus_input", "quit"} <= shown
        assert not shown & {"talk", "talk_hold", "barge_in"}
        app.sync()
        assert NO_MARKERS in str(app.query_one(VadTimeline).render())
        await until(pilot, lambda: any(line.speaker == "assistant" for line in
                                       runtime.gemini_view.lines), "the spoken turn answered")
        await pilot.press("slash", *"hello there", "enter")
        await until(pilot, lambda: any("You: hello there" in line
                                       for line in app.transcript.history_lines()),
                    "the typed line in the transcript")
        await until(pilot, lambda: any("You said: hello there" in line
                                       for line in app.transcript.history_lines()),
                    "its answer in the transcript")
        await until(pilot, lambda: runtime.gemini_view.turns_completed >= 2, "the turn ends")
        app.sync()
        await pilot.pause()
        shown = [line for line in app.transcript.history_lines() if "hello there" in line]
        assert len(shown) == 2, shown  # the streaming entries became the lines, no copies
        lines = [(line.speaker, line.text) for line in runtime.gemini_view.lines]
        assert lines[0] == ("user", TEST_PHRASES[0])
        await pilot.press("b")
        await until(pilot, lambda: any("always listens" in m for m in messages(app)),
                    "why no barge-in key")
        await pilot.press("q")


async def test_a_tool_call_is_in_the_view_the_tui_reads(tmp_path: Path) -> None:
    """The status bar's running label and the approval prompt read ``tool_calls``."""
    script = tmp_path / "script.txt"
    script.write_text('Let me check. @call get_time {"zone": "UTC"}\nIt is noon.\n',
                      encoding="utf-8")
    tool = {"command": [sys.executable, "-c", "print('12:00')"]}
    async with helpers.local_server(responder=f"script:{script}") as server:
        settings = Settings(server="local", model="gemini-live", mic="none", speaker="none",
                            local_voice="tone", tool_approval="auto",
                            tools={"get_time": tool})
        runtime = GeminiRuntime(settings, GeminiTarget(server="local", api_key=None,
                                                       model="gemini-live"),
                                local_server=server)
        app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: runtime.gemini_view.state == "ready", "setupComplete")
            await pilot.press("slash", *"what time is it", "enter")
            await until(pilot, lambda: runtime.gemini_view.turns_completed >= 1, "the answer")
            assert [(c.name, c.status) for c in runtime.view.tool_calls] == [
                ("get_time", "done")]
            # and it is drawn in the transcript, between the question and the answer
            await until(pilot, lambda: app.state.entries[-1].role == "assistant", "the answer")
            drawn = [(e.role, e.call.name if e.call else e.text) for e in app.state.entries]
            assert drawn[0] == ("user", "what time is it")
            assert ("tool", "get_time") in drawn[1:-1], drawn
            await pilot.press("q")
