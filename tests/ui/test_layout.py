"""The screen at 80 and 120 columns: separated status fields, readable event lines, and the
event pane's style cache (one lookup per style change, refreshed on a theme switch)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.text import Text
from textual.strip import Strip

from tests.ui.conftest import make_app
from tests.ui.fakes import ScriptedHandle
from tests.ui.test_snapshots import conversation
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.handle import AecStatus
from voicechat.ui.widgets.status_bar import StatusBar


def status_lines(app: VoiceChatApp) -> tuple[Text, list[str], int]:
    bar = app.query_one(StatusBar)
    text = bar.render()
    assert isinstance(text, Text)
    return text, text.plain.split("\n"), bar.content_size.width


def flow_strips(flow: EventFlow) -> list[Strip]:
    return [flow.render_line(y) for y in range(flow.size.height)]


def assert_no_run_starts_blank(strip_or_text: Strip | Text) -> None:
    """Only all-blank runs may start with a blank (see status_bar.fields_text)."""
    if isinstance(strip_or_text, Text):
        plain = strip_or_text.plain
        runs = [plain[span.start:span.end] for span in strip_or_text.spans]
    else:
        runs = [segment.text for segment in strip_or_text]
    for run in runs:
        assert not run.startswith(" ") or not run.strip(), repr(run)


def conversation_app() -> tuple[ScriptedHandle, VoiceChatApp]:
    handle = ScriptedHandle(level=0.35)
    return handle, make_app(handle, clock=lambda: handle.clock, poll_hz=5)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_status_bar_fields_are_separated_and_never_wrap(size: tuple[int, int]) -> None:
    handle, app = conversation_app()
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        conversation(handle)
        app.sync()
        await pilot.pause()
        text, lines, width = status_lines(app)
        assert len(lines) == 2 and all(len(line) <= width for line in lines)
        where = "webrtc · local · gpt-realtime" if size[0] >= 120 else "webrtc · local"
        assert lines[0].startswith(f"● connected │ {where} │ mic muted for playback ")
        # what the server applied goes beside the connection where there is room (issue 36,
        # item 5: the raw response id took its room on the second line)
        assert ("│ session marin · server_vad" in lines[0]) == (size[0] >= 120), lines[0]
        # the usage and its cost stay at both sizes; the echo and mode wording shortens first;
        # the median wait for first audio (issue 39) where there is room
        first = "first audio 2.25 s │ " if size[0] >= 120 else ""
        assert lines[1].startswith(f"answering │ barge-in off │ echo off │ mode VAD │ {first}"
                                   "usage 1.4k tok · ~$0.021 est."), lines[1]
        assert_no_run_starts_blank(text)


async def test_narrow_status_bar_uses_shorter_wording() -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=(60, 20)) as pilot:
        await app.workers.wait_for_complete()
        handle.connection_info = replace(handle.connection_info,
                                         detail="WebRTC call rtc_0123456789abcdef")
        app.sync()
        await pilot.pause()
        _, lines, width = status_lines(app)
        assert width == 58
        assert lines[0].startswith("● connected │ ") and "│ mic push-to-talk closed" in lines[0]
        assert "rtc_0123" not in lines[0]  # the connection detail goes first
        assert lines[1] == "no answer yet │ barge-in off │ echo off │ mode PTT toggle"
    app = make_app(ScriptedHandle(mode="ptt"))
    async with app.run_test(size=(120, 20)) as pilot:
        await app.workers.wait_for_complete()
        app.sync()
        await pilot.pause()
        assert status_lines(app)[1][1] == \
            "no answer yet │ barge-in off │ echo AEC off │ mode push-to-talk (toggle)"


async def test_echo_cancellation_state_and_live_erle_in_the_status_bar() -> None:
    handle = ScriptedHandle(barge_in=True)
    app = make_app(handle)
    async with app.run_test(size=(120, 20)) as pilot:
        await app.workers.wait_for_complete()
        shown = []
        for status in (AecStatus(state="on"), AecStatus(state="on", erle_db=31.6, delay_ms=48),
                       AecStatus(state="on", erle_db=4.0, leaking=True),
                       AecStatus(state="unavailable", reason="no livekit")):
            handle.aec_status = status
            app.sync()
            await pilot.pause()
            shown.append(status_lines(app)[1][1].split(" │ ")[2])
        assert shown == ["echo AEC on", "echo AEC on · 32 dB", "echo AEC on · echo leaking",
                         "echo AEC unavailable"]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_event_lines_keep_time_arrow_and_a_gap_before_the_summary(
    size: tuple[int, int],
) -> None:
    handle, app = conversation_app()
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        conversation(handle)
        app.sync()
        if size[0] < 100:
            assert not app.query_one("#right").display  # hidden on a narrow terminal...
            await pilot.press("e")  # ...until asked for
            assert app.query_one("#right").display
        await pilot.pause()
        flow = app.event_flow
        flow.action_first()  # the oldest lines: the first turn
        await pilot.pause()
        strips = flow_strips(flow)
        width = flow.scrollable_content_region.width
        lines = [strip.text.rstrip() for strip in strips if strip.text.strip()]
        assert len(lines) > 10
        for strip, line in zip(strips, lines, strict=False):
            assert strip.cell_length == width
            time, arrow, label = line.split()[:3]
            assert float(time) >= 0 and arrow in "←→·" and label
            assert_no_run_starts_blank(strip)
        # full event names where they fit, each followed by one space and its summary
        assert lines[0].split(maxsplit=2)[2].startswith("session.created realt")
        # (at 80 columns the type takes the line: it keeps priority over the summary)
        added = "← conversation.item.added" + (" item_u1" if size[0] >= 120 else "")
        assert any(added in line for line in lines), "\n".join(lines)


async def test_event_flow_resolves_styles_once_and_again_after_a_theme_change() -> None:
    handle, app = conversation_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        conversation(handle)
        app.sync()
        await pilot.pause()
        flow = app.event_flow
        styles = flow.line_styles
        flow_strips(flow)
        assert flow.line_styles is styles  # painting did not re-resolve anything

        def in_colour() -> str:
            for strip in flow_strips(flow):
                for segment in strip:
                    if segment.text.startswith("← ") and segment.style is not None:
                        color = segment.style.color
                        assert color is not None and color.triplet is not None
                        return color.triplet.hex
            raise AssertionError("no server→client line on screen")

        assert in_colour() == app.get_theme("dark").variables["vc-event-in"].lower()
        app.theme = "light"
        await pilot.pause()
        assert flow.line_styles is not styles
        assert in_colour() == app.get_theme("light").variables["vc-event-in"].lower()


async def test_status_bar_shows_usage_cost_and_rate_limits_when_wide() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    usage = {"input_tokens": 1120, "output_tokens": 252,
             "input_token_details": {"text_tokens": 1000, "audio_tokens": 120,
                                     "cached_tokens": 960},
             "output_token_details": {"text_tokens": 52, "audio_tokens": 200}}
    async with app.run_test(size=(160, 20)) as pilot:
        await app.workers.wait_for_complete()
        handle.server({"type": "response.created", "event_id": "e1",
                       "response": {"id": "resp_9", "status": "in_progress"}})
        handle.server({"type": "response.done", "event_id": "e2", "response": {
            "id": "resp_9", "status": "completed", "output": [], "usage": usage}})
        handle.server({"type": "rate_limits.updated", "event_id": "e3", "rate_limits": [
            {"name": "tokens", "limit": 40000, "remaining": 39000, "reset_seconds": 1.5}]})
        app.sync()
        await pilot.pause()
        _, lines, _ = status_lines(app)
        assert lines[1].endswith(" │ usage 1.4k tok · ~$0.015 est. │ limits tokens 39k/40k ↻1.5s")
    app = make_app(handle)
    async with app.run_test(size=(80, 20)) as pilot:
        await app.workers.wait_for_complete()
        app.sync()
        await pilot.pause()
        _, lines, _ = status_lines(app)
        # at 80 columns the usage and its cost stay; the wording shortens and the limits go
        assert lines[1] == ("answered │ barge-in off │ echo off │ mode VAD │ "
                            "usage 1.4k tok · ~$0.015 est.")
