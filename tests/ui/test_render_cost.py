"""What keeps streaming cheap, asserted as behaviour (never as timings, which bench/bench_tui.py
prints): new event lines and streaming text do not relayout the whole screen, a growing fold
repaints only its own line, and the live transcript area grows in steps."""

from __future__ import annotations

from typing import Any

import pytest
from textual.geometry import Region
from textual.screen import Screen

from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, deltas, response_start, user_speech, user_transcript
from voicechat.eventlog.record import LogRecord
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.fold_repaint import FOLD_REPAINT_S
from voicechat.ui.widgets.transcript import LIVE_STEP


def record(t: float, kind: str, **fields: Any) -> LogRecord:
    return LogRecord(t=t, ts="", dir="in", event={"type": kind, **fields})


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[Screen[Any]]:
    """Every whole-screen layout pass, as it happens."""
    seen: list[Screen[Any]] = []
    original = Screen._refresh_layout

    def counting(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        seen.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counting)
    return seen


async def test_new_event_lines_scroll_without_relayouting_the_screen(
    layouts: list[Screen[Any]],
) -> None:
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        flow = app.event_flow
        for i in range(100):  # more than a screenful: the scrollbar is there
            flow.add_record(record(i * 0.1, "input_audio_buffer.committed", item_id=f"item_{i}"))
        await pilot.pause()
        assert flow.show_vertical_scrollbar
        layouts.clear()
        for i in range(100, 130):
            flow.add_record(record(i * 0.1, "input_audio_buffer.committed", item_id=f"item_{i}"))
            await pilot.pause()
        # Before the fix every new line relaid the screen out (30 here). The status bar's own
        # 20 Hz refresh may cause one now and then, which says nothing about the pane.
        assert len(layouts) <= 3, f"{len(layouts)} screen layouts for 30 new event lines"
        # ...and the pane still follows the newest line, with a scrollbar that knows the count
        assert flow.virtual_size.height == 130
        assert flow.scroll_offset.y == flow.max_scroll_y == 130 - flow.size.height
        assert flow.vertical_scrollbar.window_virtual_size == 130
        last = flow.render_line(flow.size.height - 1).text
        assert "item_129" in last


async def test_a_growing_fold_repaints_only_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        flow = app.event_flow
        flow.add_record(record(0.1, "response.created", response={"id": "resp_1"}))
        delta = "response.output_audio_transcript.delta"
        flow.add_record(record(0.2, delta, response_id="resp_1", delta="a"))
        await pilot.pause()
        regions: list[tuple[Region, ...]] = []
        original = EventFlow.refresh

        def spy(self: EventFlow, *args: Region, **kwargs: Any) -> EventFlow:
            regions.append(args)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(EventFlow, "refresh", spy)
        flow.add_record(record(0.3, delta, response_id="resp_1", delta="b"))
        assert regions == [(Region(0, 1, flow.size.width, 1),)]  # line 1: the fold
        assert flow.rows[1].count == 2
        assert "×2" in flow.render_line(1).text


async def test_live_transcript_grows_in_steps(layouts: list[Screen[Any]]) -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        handle.run([*user_speech("item_u1"), user_transcript("item_u1", "hi"),
                    *response_start("resp_1", "item_a1", "item_u1")])
        app.sync()
        await pilot.pause()
        live = app.transcript.live
        heights: list[int] = []
        layouts.clear()
        for i in range(60):  # about six lines: below the live area's max-height
            handle.run(deltas("resp_1", "item_a1", [f"word{i} "]))
            app.sync()
            await pilot.pause()
            height = live.size.height
            assert height % LIVE_STEP == 0
            assert height >= len(live.render_lines(live.region.reset_offset)) > 0
            if not heights or heights[-1] != height:
                heights.append(height)
        assert heights == sorted(heights) and len(heights) >= 3  # it did grow, in steps
        assert len(layouts) <= 2 * len(heights)  # not one layout per new line of text
        text = str(live.render())
        assert text.startswith("Assistant: word0 ") and "word59" in text
        # every delta, in order, in what is drawn (the wrapped lines, not only the text)
        lines = live.render_lines(live.region.reset_offset)
        drawn = " ".join(strip.text.strip() for strip in lines)
        assert drawn.split()[1:61] == [f"word{i}" for i in range(60)]


async def test_the_pane_follows_new_lines_and_stays_put_while_the_user_looks_back() -> None:
    """Without a relayout per line: the newest line stays in view while following, the view
    does not move while a line is selected higher up, and End follows again."""
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        flow = app.event_flow
        for i in range(5):  # fewer lines than the pane holds: no scrollbar yet
            flow.add_record(record(i * 0.1, "input_audio_buffer.committed", item_id=f"item_{i}"))
        await pilot.pause()
        assert not flow.show_vertical_scrollbar and flow.scroll_offset.y == 0
        for i in range(5, 80):  # the scrollbar appears on the way
            flow.add_record(record(i * 0.1, "input_audio_buffer.committed", item_id=f"item_{i}"))
            if i % 7 == 0:
                await pilot.pause()
        await pilot.pause()
        assert flow.show_vertical_scrollbar
        assert flow.scroll_offset.y == flow.max_scroll_y == 80 - flow.size.height
        assert "item_79" in flow.render_line(flow.size.height - 1).text

        flow.focus()
        await pilot.press("pageup", "pageup", "pageup", "pageup", "pageup", "pageup")
        top = flow.scroll_offset.y
        assert flow.cursor is not None and top < flow.max_scroll_y
        for i in range(80, 120):
            flow.add_record(record(i * 0.1, "input_audio_buffer.committed", item_id=f"item_{i}"))
            await pilot.pause()
        assert flow.scroll_offset.y == top  # no jump while the user reads older lines
        assert flow.vertical_scrollbar.window_virtual_size == 120

        await pilot.press("end")
        await pilot.pause()
        assert flow.cursor is None and flow.scroll_offset.y == flow.max_scroll_y
        flow.add_record(record(12.0, "input_audio_buffer.committed", item_id="item_120"))
        await pilot.pause()
        assert "item_120" in flow.render_line(flow.size.height - 1).text


async def test_a_fold_growing_fast_is_repainted_at_most_twice_a_second_and_ends_right() -> None:
    """A fold's count (fifty mic appends a second) repaints at most every FOLD_REPAINT_S: the
    first growth at once, the rest when the interval is up, with the final count."""
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        flow = app.event_flow
        flow.add_record(record(0.1, "response.created", response={"id": "resp_1"}))
        delta = "response.output_audio_transcript.delta"
        flow.add_record(record(0.2, delta, response_id="resp_1", delta="a"))
        await pilot.pause()
        painted: list[int] = []
        original = flow.refresh_line

        def spy(y: int) -> None:
            painted.append(y)
            original(y)

        flow.refresh_line = spy  # type: ignore[method-assign]
        for i in range(20):
            flow.add_record(record(0.3 + i / 50, delta, response_id="resp_1", delta="b"))
        assert painted == [1]  # the first growth at once, the other nineteen wait
        await pilot.pause(FOLD_REPAINT_S + 0.2)
        assert painted == [1, 1]  # one more repaint for all of them
        assert flow.rows[1].count == 21 and "×21" in flow.render_line(1).text
