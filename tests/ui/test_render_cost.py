"""What keeps streaming cheap, asserted as behaviour (never as timings, which bench/bench_tui.py
prints): new event lines and streaming text do not relayout the whole screen, a growing fold
repaints only its own line, and a streaming delta repaints only the transcript lines it changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.geometry import Region
from textual.screen import Screen

from tests import helpers
from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import (
    ScriptedHandle,
    deltas,
    finish_turn,
    response_start,
    user_speech,
    user_transcript,
)
from voicechat.eventlog.record import LogRecord
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.fold_repaint import FOLD_REPAINT_S
from voicechat.ui.widgets.transcript import Transcript


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
        await helpers.until(lambda: flow.show_vertical_scrollbar, "the event pane's scrollbar",
                            sleep=pilot.pause)  # its first appearance is a layout
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


#: An answer's latency line (issue 39, its own tests), wrapped or not.
_LATENCY = re.compile(r"\d+\.\d\d s to first audio( · [A-Za-z+ ]+ \d+\.\d\d)*")


def drawn_words(app: Any) -> list[str]:
    """The words of every transcript line as drawn (wrapped strips, scrolled or not)."""
    transcript = app.transcript
    history = transcript.history_lines()
    return _LATENCY.sub("", " ".join(" ".join(history + [
        strip.text for strip in transcript_strips(transcript)[len(history):]
    ]).split())).split()


def transcript_strips(transcript: Transcript) -> list[Any]:
    """Every line of the transcript, drawn through the public line API at each scroll offset."""
    lines = []
    height = transcript.scrollable_content_region.height
    total = transcript.virtual_size.height
    saved = transcript.scroll_y
    for top in range(0, max(1, total), height):
        transcript.scroll_to(y=top, animate=False, immediate=True)
        offset = int(transcript.scroll_offset.y)
        for y in range(height):
            if offset + y >= total:
                break
            if offset + y >= len(lines):
                lines.append(transcript.render_line(y))
    transcript.scroll_to(y=saved, animate=False, immediate=True)
    return lines


async def test_a_streaming_delta_repaints_only_the_lines_it_changed(
    layouts: list[Screen[Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a turn streams, the transcript neither relayouts the screen nor repaints lines
    that did not change: a delta that keeps the line count repaints its own line only."""
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        handle.run([*user_speech("item_u1"), user_transcript("item_u1", "hi"),
                    *response_start("resp_1", "item_a1", "item_u1")])
        app.sync()
        await pilot.pause()
        transcript = app.transcript
        calls: list[tuple[Region, ...]] = []
        original = Transcript.refresh

        def spy(self: Transcript, *regions: Region, **kwargs: Any) -> Transcript:
            if self is transcript:
                calls.append(regions)
            return original(self, *regions, **kwargs)

        monkeypatch.setattr(Transcript, "refresh", spy)
        layouts.clear()
        single_line = 0
        wrapped = 0  # the width the lines were last wrapped to (less once the scrollbar shows)
        for i in range(200):  # ~30 wrapped lines: more than the pane shows, so it scrolls too
            before = transcript.virtual_size.height
            width = transcript.scrollable_content_region.width
            calls.clear()
            handle.run(deltas("resp_1", "item_a1", [f"word{i} "]))
            app.sync()
            if (transcript.virtual_size.height, width) == (before, wrapped):
                # same lines at the same width: only the last line changed
                assert calls and all(len(r) == 1 and r[0].height == 1 for r in calls), calls
                assert calls[-1][0].y == before - 1 - int(transcript.scroll_offset.y)
                single_line += 1
            wrapped = width
            await pilot.pause()
        assert single_line > 100  # most deltas fit on the line they extend
        assert transcript.virtual_size.height > transcript.size.height  # it did scroll
        # The old transcript relaid the screen out each time its live area grew (every 3 of
        # these ~30 wrapped lines: 10 or more); the scrollbar appearing takes one, and on a
        # loaded machine other widgets' timers (status bar, footer) can add a few.
        assert len(layouts) < 10, f"{len(layouts)} screen layouts while one turn streamed"
        # the newest text is in view, and every delta is drawn, in order
        last = transcript.render_line(transcript.scrollable_content_region.height - 1).text
        assert "word199" in last and "▍" in last
        words = drawn_words(app)
        assert words[:4] == ["You:", "hi", "Assistant:", "word0"]
        assert words[3:203] == [f"word{i}" for i in range(200)]


async def test_the_transcript_keeps_every_turn_in_order_and_rewraps_at_resize() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        for n in range(1, 4):
            handle.run([*user_speech(f"item_u{n}"), user_transcript(f"item_u{n}", f"q{n}"),
                        *response_start(f"resp_{n}", f"item_a{n}", f"item_u{n}")])
            for i in range(30):
                handle.run(deltas(f"resp_{n}", f"item_a{n}", [f"t{n}w{i} "]))
                if i % 7 == 0:
                    app.sync()
                    await pilot.pause()
            if n < 3:
                handle.run(finish_turn(f"resp_{n}", f"item_a{n}",
                                       "".join(f"t{n}w{i} " for i in range(30)).strip()))
        app.sync()
        await pilot.pause()
        expected: list[str] = []
        for n in range(1, 4):
            expected += ["You:", f"q{n}", "Assistant:", *[f"t{n}w{i}" for i in range(30)]]
        expected.append("▍")  # the third turn still streams
        assert drawn_words(app) == expected
        wide = len(app.transcript.history_lines())
        await pilot.press("e")  # keep the event pane: at 70 columns it would hide by default
        await pilot.pause()
        await pilot.press("e")
        await pilot.resize_terminal(70, 30)
        await pilot.pause(0.4)  # the re-wrap waits for the resize to settle
        await pilot.pause()
        assert drawn_words(app) == expected
        width = app.transcript.scrollable_content_region.width
        assert all(len(strip.text.rstrip()) <= width for strip in transcript_strips(app.transcript))
        assert len(app.transcript.history_lines()) > wide  # narrower: more lines


async def test_a_reader_scrolled_up_stays_put_while_text_streams() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        handle.run([*user_speech("item_u1"), user_transcript("item_u1", "hi"),
                    *response_start("resp_1", "item_a1", "item_u1")])
        handle.run(deltas("resp_1", "item_a1", [f"word{i} " for i in range(300)]))
        app.sync()
        transcript = app.transcript
        # the first overflow brings the scrollbar: a layout, and the follow waits for its refresh
        await helpers.until(lambda: transcript.scroll_y == transcript.max_scroll_y > 0,
                            "the transcript following the streamed text", sleep=pilot.pause)
        transcript.scroll_to(y=2, animate=False, immediate=True)
        for i in range(300, 400):
            handle.run(deltas("resp_1", "item_a1", [f"word{i} "]))
            app.sync()
            await pilot.pause()
        assert transcript.scroll_y == 2
        transcript.scroll_end(animate=False, immediate=True)
        handle.run(deltas("resp_1", "item_a1", [f"word{i} " for i in range(400, 440)]))
        app.sync()
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y  # following again
        last = transcript.render_line(transcript.scrollable_content_region.height - 1).text
        assert "word439" in last


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
        # the scrollbar's arrival is a layout, and the follow waits for its refresh
        await helpers.until(lambda: flow.show_vertical_scrollbar
                            and flow.scroll_offset.y == flow.max_scroll_y,
                            "the event pane following its newest line", sleep=pilot.pause)
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
        await helpers.until(lambda: flow.cursor is None
                            and flow.scroll_offset.y == flow.max_scroll_y,
                            "End following again", sleep=pilot.pause)
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
