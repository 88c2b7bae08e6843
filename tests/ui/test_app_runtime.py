"""The app on the real runtime and the real local server: what a user sees in a conversation.

The runtime (``voicechat.runtime.Runtime``) talks WebRTC (or WebSocket) to an in-process
``LocalServer`` on 127.0.0.1 with its real VAD, exact-grammar ASR and the tone voice; a WAV is
the mic. The tests press the app's keys and read its widgets, never the runtime's internals,
except to wait for the audio to finish.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import helpers
from tests.speech import TEST_PHRASES, speech_wav
from tests.ui.conftest import SIZE
from tests.ui.test_app_fake import history_text, live_text, status_text
from voicechat.config import Settings
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir

pytestmark = pytest.mark.slow

LONG_REPLY = " ".join(["this answer keeps going for a good while"] * 4)


def norm(text: str) -> str:
    return text.lower().strip().rstrip(".?!")


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a tail long enough to see the mic reopen after the reply while the file still plays
    return speech_wav(tmp_path_factory.mktemp("wav") / "q.wav", TEST_PHRASES[:1], tail_s=6.0)


@pytest.fixture(scope="module")
def short_question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_wav(tmp_path_factory.mktemp("wav") / "q.wav", TEST_PHRASES[:1], tail_s=1.5)


def make(server: LocalServer, **settings: Any) -> tuple[VoiceChatApp, Runtime]:
    runtime = Runtime(Settings(server="local", speaker="none", local_voice="tone", **settings),
                      local_server=server)
    return VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()]), runtime


async def until(pilot: Any, predicate: Callable[[], bool], what: str) -> None:
    """Poll between the app's own message processing (``pilot.pause``), not beside it."""
    await helpers.until(predicate, what, sleep=pilot.pause)


async def test_voice_turn_shows_transcript_deltas_markers_and_mic_gate(
    server: LocalServer, question_wav: Path
) -> None:
    app, runtime = make(server, mic=str(question_wav))
    seen_live: list[str] = []
    seen_mic: list[str] = []

    def watch() -> bool:
        app.sync()
        text = live_text(app)
        if "Assistant:" in text:
            seen_live.append(text)
        status = status_text(app)
        for label in ("mic live", "mic muted for playback"):
            if label in status and (not seen_mic or seen_mic[-1] != label):
                seen_mic.append(label)
        return runtime.completed_responses >= 1 and "Assistant:" in history_text(app)

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.status_bar.state.mic_state != "unknown", "start")
        await until(pilot, watch, "a completed turn")
        await until(pilot, lambda: (watch() or True) and "mic live" in status_text(app),
                    "the mic to reopen")
        watch()
        history = history_text(app)
        assert f"You: {TEST_PHRASES[0]}".lower() in history.lower()
        assert seen_live, "the assistant's reply never streamed in the live area"
        assert seen_mic[:3] == ["mic live", "mic muted for playback", "mic live"]
        user = [s for s in app.timeline.segments if s.kind == "user"]
        bot = [s for s in app.timeline.segments if s.kind == "assistant"]
        assert user and user[0].end is not None and not user[0].short
        assert bot and bot[0].end is not None
        assert "you " in str(app.timeline.render())
        assert app.event_flow.records_added > 20
        assert "connected" in status_text(app)
        # once the file is over, "live" would be a lie: nobody is speaking any more
        await until(pilot, lambda: "mic file ended" in status_text(app), "the file's end")
        await pilot.press("q")


async def test_mute_key_mutes_the_real_mic(server: LocalServer, question_wav: Path) -> None:
    app, runtime = make(server, mic=str(question_wav))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.connection.state == "connected", "connection")
        await pilot.press("m")
        app.sync()
        assert "mic muted by you" in status_text(app)
        assert runtime.view.mic_label == "muted by user"
        await pilot.press("m")
        app.sync()
        assert runtime.view.mic_label != "muted by user"
        await pilot.press("q")


@pytest.mark.script(LONG_REPLY)
async def test_cancel_key_stops_the_answer(server: LocalServer, question_wav: Path) -> None:
    app, runtime = make(server, mic=str(question_wav))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.view.playing, "the answer to play")
        await pilot.pause(0.5)
        await pilot.press("c")
        await until(pilot, lambda: (app.sync() or True) and "cut off" in history_text(app)
                    + live_text(app), "the answer to be marked cut off")
        assert not runtime.view.playing
        assert "conversation.item.truncate" in [
            r.record.event["type"] for r in app.event_flow.rows]
        await pilot.press("q")


async def test_push_to_talk_holds_a_file_mic_until_the_talk_key(
    server: LocalServer, short_question_wav: Path
) -> None:
    """Issue 55, item 3: the file is what the person says while the key is down. It used to
    play out while the mic was shut, and the key then sent "too short: 0 ms"."""
    app, runtime = make(server, mic=str(short_question_wav), mode="ptt")
    held: list[dict[str, Any]] = []
    runtime.subscribe(lambda r: held.append(r.event) if r.event.get("type", "").startswith(
        "local.mic.") else None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.connection.state == "connected", "connection")
        await until(pilot, lambda: any(e["type"] == "local.mic.held" for e in held),
                    "the file to hold for the talk key")
        first = next(e for e in held if e["type"] == "local.mic.held")
        assert first["reason"] == "ptt_idle" and first["at_s"] == 0.0
        assert not runtime.mic_ended
        await pilot.press("space")
        await until(pilot, lambda: any(e["type"] == "local.mic.resumed" for e in held),
                    "the file to stream once the key is down")
        await until(pilot, lambda: runtime.mic_ended, "the mic file to end")
        await pilot.press("space")
        await until(pilot, lambda: (app.sync() or True) and "Assistant:" in history_text(app),
                    "the answer")
        assert f"you: {norm(TEST_PHRASES[0])}" in history_text(app).lower()
        assert "too short" not in history_text(app).lower()
        await pilot.press("q")


async def test_push_to_talk_completes_a_turn(
    server: LocalServer, short_question_wav: Path
) -> None:
    app, runtime = make(server, mic=str(short_question_wav), mode="ptt")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runtime.connection.state == "connected", "connection")
        app.sync()
        assert "push-to-talk closed" in status_text(app)
        await pilot.press("space")
        app.sync()
        assert "push-to-talk open" in status_text(app)
        await until(pilot, lambda: runtime.mic_ended, "the mic file to end")
        await pilot.press("space")
        await until(pilot, lambda: (app.sync() or True) and "Assistant:" in history_text(app),
                    "the answer")
        history = history_text(app).lower()
        assert f"you: {norm(TEST_PHRASES[0])}" in history
        # the answer still plays (mic muted for playback, which wins), then the file is over
        await until(pilot, lambda: (app.sync() or True)
                    and "mic file ended" in status_text(app), "the mic to settle")
        await pilot.press("q")
