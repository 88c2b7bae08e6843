"""SVG snapshots of the main screen, one per shipped theme, plus transcribe mode and a problem.

Deliberately few (docs/reference-notes.md, "Tests"): behaviour is asserted in the Pilot tests;
these catch layout and colour regressions. Each is driven by the scripted handle and a fixed clock,
so the picture is the same on every run. Regenerate with ``pytest tests/ui/test_snapshots.py
--snapshot-update`` after an intended change, and look at the SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import make_app
from tests.ui.fakes import (
    ScriptedHandle,
    deltas,
    finish_turn,
    response_start,
    user_speech,
    user_transcript,
)


def conversation(handle: ScriptedHandle) -> None:
    """Two turns: one finished, one streaming with its user transcript still pending."""
    handle.run(user_speech("item_u1"), step=0.4)
    handle.run([user_transcript("item_u1", "What is the capital of France?")])
    handle.run(response_start("resp_1", "item_a1", "item_u1"), step=0.2)
    handle.run(deltas("resp_1", "item_a1", ["The ", "capital ", "of ", "France ", "is ",
                                             "Paris."]), step=0.3)
    handle.run(finish_turn("resp_1", "item_a1", "The capital of France is Paris."), step=0.2)
    handle.advance(2.0, mic_ms=0)
    handle.run(user_speech("item_u2", 9000, 9200), step=0.1)
    handle.run([{"type": "conversation.item.input_audio_transcription.failed",
                 "item_id": "item_u2", "content_index": 0,
                 "error": {"type": "server_error", "code": None,
                           "message": "Input transcription failed for item 'item_u2'."}}])
    handle.advance(1.0, mic_ms=0)
    handle.run(user_speech("item_u3", 11000, 13000), step=0.5)
    handle.run(response_start("resp_2", "item_a2", "item_u3"), step=0.2)
    handle.run(deltas("resp_2", "item_a2", ["And ", "its ", "population ", "is "]), step=0.3)


LARGE = (120, 40)
SMALL = (80, 24)


def no_devices(handle: ScriptedHandle) -> None:
    """The two banners a machine without a sound card shows (the runtime's wording)."""
    from voicechat.audio.devices import NO_DEVICE_FIX

    for what, kind, rest in (("microphone", "input", "Typed messages still work."),
                             ("speaker", "output", "Audio is discarded.")):
        handle._emit("local", {"type": "local.notice", "level": "error", "message":
                               f"no {what}: no audio {kind} device found: {NO_DEVICE_FIX}. "
                               f"{rest}"})


def scripted_app(theme: str, mode: str = "vad", *, banners: bool = False) -> Any:
    handle = ScriptedHandle(mode=mode, level=0.35)
    app = make_app(handle, theme=theme, clock=lambda: handle.clock, poll_hz=5)

    async def run_before(pilot: Pilot[Any]) -> None:
        await app.workers.wait_for_complete()
        if mode == "transcribe":
            handle.run(user_speech("item_u1"), step=0.5)
            handle.run([{"type": "conversation.item.input_audio_transcription.delta",
                         "item_id": "item_u1", "content_index": 0, "delta": "Good morning"}])
            handle.run([user_transcript("item_u1", "Good morning everyone.")])
            handle.run(user_speech("item_u2", 5000, 7000), step=0.5)
            handle.run([{"type": "conversation.item.input_audio_transcription.delta",
                         "item_id": "item_u2", "content_index": 0, "delta": "Today we "}])
        else:
            conversation(handle)
        if banners:
            no_devices(handle)
        app.sync()
        await pilot.pause()
        app.clear_notifications()  # toasts time out; a snapshot shows the steady screen
        await pilot.pause()

    return app, run_before


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast"])
def test_main_screen(theme: str, snap_compare: Any) -> None:
    app, run_before = scripted_app(theme)
    assert snap_compare(app, terminal_size=LARGE, run_before=run_before)


def test_transcribe_mode_captions(snap_compare: Any) -> None:
    app, run_before = scripted_app("dark", mode="transcribe")
    assert snap_compare(app, terminal_size=LARGE, run_before=run_before)


def test_80x24_with_no_sound_card(snap_compare: Any) -> None:
    """One line per banner, the event pane hidden (e shows it), Keys and Quit in the footer."""
    app, run_before = scripted_app("dark", banners=True)
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_120x40_with_no_sound_card(snap_compare: Any) -> None:
    app, run_before = scripted_app("dark", banners=True)
    assert snap_compare(app, terminal_size=LARGE, run_before=run_before)
