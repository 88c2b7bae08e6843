"""``/image`` in the TUI's message box, on the real runtime and the real local server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import helpers, images
from tests.ui.conftest import SIZE
from tests.ui.test_app_fake import history_text
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime import Runtime
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.themes import shipped_theme_dir
from voicechat.ui.widgets.message_box import MessageBox

pytestmark = pytest.mark.slow


async def until(pilot: Any, predicate: Callable[[], bool], what: str) -> None:
    await helpers.until(predicate, what, sleep=pilot.pause)


async def type_message(app: VoiceChatApp, pilot: Any, text: str) -> None:
    await pilot.press("slash")
    app.query_one("#message", MessageBox).value = text  # paths hold characters keys do not name
    await pilot.press("enter")


async def test_a_picture_typed_in_the_message_box_is_sent_and_answered(
    tmp_path: Path,
) -> None:
    picture = images.write(tmp_path / "shot.jpg", images.jpeg(640, 480))
    records: list[LogRecord] = []
    async with helpers.local_server() as srv:
        runtime = Runtime(Settings(server="local", mic="none", speaker="none",
                                   local_voice="tone"), local_server=srv)
        runtime.subscribe(records.append)
        app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: runtime.connection.state == "connected", "connection")
            await type_message(app, pilot, f"/image {picture} what is this?")
            await until(pilot, lambda: runtime.completed_responses >= 1, "the answer")
            app.sync()
            acknowledged = [r.event["item"] for r in records if r.dir == "in"
                            and r.event.get("type") == "conversation.item.done"
                            and r.event["item"].get("role") == "user"]
            assert acknowledged[0]["content"][0]["type"] == "input_image"
            history = " ".join(history_text(app).split())  # lines wrap at the pane's width
            assert "You: [JPEG image] what is this?" in history
            assert "I got a JPEG image, 640 by 480. You said: what is this?" in history
            await pilot.press("q")


async def test_a_bad_file_is_said_and_the_text_stays_in_the_box(tmp_path: Path) -> None:
    async with helpers.local_server() as srv:
        runtime = Runtime(Settings(server="local", mic="none", speaker="none",
                                   local_voice="tone"), local_server=srv)
        app = VoiceChatApp(runtime, theme_dirs=[shipped_theme_dir()])
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: runtime.connection.state == "connected", "connection")
            typed = f"/image {tmp_path / 'nope.png'} my long caption"
            await type_message(app, pilot, typed)
            await pilot.pause()
            box = app.query_one("#message", MessageBox)
            assert box.value == typed and app.focused is box
            messages = [str(n.message) for n in app._notifications]
            assert any("no such file" in m and "nope.png" in m for m in messages)
            assert not [e for e in runtime.view.entries if e.role == "user"]
            await pilot.press("escape", "q")
