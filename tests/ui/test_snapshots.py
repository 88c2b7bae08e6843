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
    usage_and_limits(handle)
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


def usage_and_limits(handle: ScriptedHandle) -> None:
    """What the status bar promises beside the conversation (issue 36, item 5): the settings
    the server applied, the usage with its cost, the rate limits."""
    handle.run([
        {"type": "session.updated", "session": {"type": "realtime", "audio": {
            "input": {"turn_detection": {"type": "server_vad", "threshold": 0.5,
                                         "silence_duration_ms": 200}},
            "output": {"voice": "marin"}}}},
        {"type": "response.done", "response": {
            "id": "resp_1", "status": "completed", "output": [], "usage": {
                "input_tokens": 1120, "output_tokens": 252,
                "input_token_details": {"text_tokens": 1000, "audio_tokens": 120},
                "output_token_details": {"text_tokens": 52, "audio_tokens": 200}}}},
        {"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.01},
            {"name": "tokens", "limit": 40000, "remaining": 38000, "reset_seconds": 1.5}]},
    ])


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


def tool_scene() -> Any:
    """A call in the transcript between the preamble and the answer, then a second response
    whose call waits for approval: the modal over the screen (the real core's tool loop).
    Also the README's screenshot (tests/ui/screenshots.py)."""
    from tests.ui.fakes import created, function_call, message, response_done, tool_turn
    from voicechat.core.tool_specs import ToolSpec

    handle = ScriptedHandle(level=0.0, reply="It is 18 degrees and sunny in Paris.")
    app = make_app(handle, theme="dark", clock=lambda: handle.clock, poll_hz=5)

    async def run_before(pilot: Pilot[Any]) -> None:
        await app.workers.wait_for_complete()
        handle.set_tools(ToolSpec("get_weather", "weather", approval="auto",
                                  source="mcp:weather"),
                         ToolSpec("read_file", "read a file", source="mcp:files"))
        handle.run([typed("item_u1", "What's the weather in Paris?"), created("resp_1"),
                    *message("resp_1", "item_a1", 0, "Let me check that.", "item_u1"),
                    *function_call("resp_1", "item_c1", 1, "get_weather",
                                   '{"city": "Paris"}', "call_1", "item_a1"),
                    response_done("resp_1")])
        handle.advance(0.4, mic_ms=0)
        handle.finish_tool("call_1", "18 °C, sunny, wind 5 km/h", duration=0.4)
        last = handle.session.view.entries[-1].id
        handle.run([typed("item_u2", "And read my notes", last),
                    *tool_turn("resp_3", [("read_file", '{"path": "notes.txt", "lines": 20}',
                                           "call_2")], "item_u2")])
        app.sync()
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    return app, run_before


def test_a_tool_call_done_and_another_asking(snap_compare: Any) -> None:
    app, run_before = tool_scene()
    assert snap_compare(app, terminal_size=LARGE, run_before=run_before)


def typed(item: str, text: str, previous: str | None = None) -> dict[str, Any]:
    """A typed user message as the server adds it (without the reply send_text would ask)."""
    return {"type": "conversation.item.added", "previous_item_id": previous,
            "item": {"id": item, "type": "message", "role": "user", "status": "completed",
                     "content": [{"type": "input_text", "text": text}]}}
