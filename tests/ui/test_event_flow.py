"""The event-flow pane: folding, filters, cursor selection, bounded history."""

from __future__ import annotations

from textual.app import App, ComposeResult

from voicechat.eventlog.record import LogRecord
from voicechat.ui.event_flow import EventDetail, EventFlow


def rec(t: float, direction: str, **event: object) -> LogRecord:
    return LogRecord(t=t, ts="", dir=direction, event=dict(event))  # type: ignore[arg-type]


class FlowApp(App[None]):
    def __init__(self, max_lines: int = 200) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.selected: list[EventFlow.Selected] = []

    def compose(self) -> ComposeResult:
        yield EventFlow(max_lines=self.max_lines, id="flow")
        yield EventDetail(id="detail")

    def on_event_flow_selected(self, message: EventFlow.Selected) -> None:
        self.selected.append(message)
        self.query_one(EventDetail).show_record(message.record, message.count)


def _turn(flow: EventFlow) -> None:
    flow.add_record(rec(0.0, "in", type="response.created", response={"id": "resp_1"}))
    for n in range(37):
        flow.add_record(rec(0.1 + n / 100, "in", type="response.output_audio_transcript.delta",
                            response_id="resp_1", item_id="item_1", delta=f"w{n}"))
        flow.add_record(rec(0.1 + n / 100, "in", type="response.output_audio.delta",
                            response_id="resp_1", item_id="item_1", delta={"bytes": 960}))
    flow.add_record(rec(0.6, "out", type="response.cancel"))
    flow.add_record(rec(0.7, "in", type="error", error={
        "code": "response_cancel_not_active",
        "message": "Cancellation failed: no active response found"}))
    flow.add_record(rec(0.8, "in", type="response.done",
                        response={"id": "resp_1", "status": "completed"}))


async def test_deltas_fold_per_response_and_filters() -> None:
    app = FlowApp()
    async with app.run_test(size=(100, 20)) as pilot:
        flow = app.query_one(EventFlow)
        _turn(flow)
        await pilot.pause()
        assert [(r.kind, r.count) for r in flow.rows] == [
            ("response.created", 1), ("response.output_audio_transcript.delta", 37),
            ("response.output_audio.delta", 37), ("response.cancel", 1), ("error", 1),
            ("response.done", 1)]
        text = "\n".join(flow.render_line(y).text for y in range(6))
        assert "response.output_audio_transcript.delta ×37" in text
        assert "→ response.cancel" in text and "← error response_cancel_not_active" in text
        flow.set_filter("no_deltas")
        assert [r.kind for r in flow.rows] == ["response.created", "response.cancel", "error",
                                               "response.done"]
        flow.set_filter("errors")
        assert [r.kind for r in flow.rows] == ["error"]
        assert flow.cycle_filter() == "all" and len(flow.rows) == 6
        # a new response gets its own fold line
        flow.add_record(rec(1.0, "in", type="response.output_audio_transcript.delta",
                            response_id="resp_2", delta="x"))
        assert (flow.rows[-1].kind, flow.rows[-1].count) == (
            "response.output_audio_transcript.delta", 1)


async def test_cursor_selects_a_line_and_shows_its_json() -> None:
    app = FlowApp()
    async with app.run_test(size=(100, 30)) as pilot:
        flow = app.query_one(EventFlow)
        _turn(flow)
        flow.focus()
        await pilot.pause()
        await pilot.press("up")  # the newest line
        await pilot.press("up")  # the error
        await pilot.pause()
        assert flow.cursor == 4
        assert app.selected[-1].record.event["type"] == "error"
        detail = str(app.query_one(EventDetail).render())
        assert "response_cancel_not_active" in detail and '"code"' in detail
        await pilot.press("home")
        await pilot.pause()
        assert app.selected[-1].record.event["type"] == "response.created"
        await pilot.press("down")
        await pilot.pause()
        assert app.selected[-1].count == 37  # a fold: its latest record
        assert app.selected[-1].record.event["delta"] == "w36"
        await pilot.press("end")
        assert flow.cursor is None


async def test_history_is_bounded_by_max_lines() -> None:
    app = FlowApp(max_lines=50)
    async with app.run_test(size=(80, 10)) as pilot:
        flow = app.query_one(EventFlow)
        for n in range(500):
            flow.add_record(rec(n / 10, "in", type="rate_limits.updated", n=n))
        await pilot.pause()
        assert 50 <= len(flow.rows) <= 60  # trimmed in batches of max_lines // 10 (min 10)
        assert flow.rows[-1].record.event["n"] == 499
        assert flow.records_added == 500
        # following the newest line: the last line is on screen
        last = flow.scrollable_content_region.height - 1
        assert flow.render_line(last).text.lstrip().startswith("49.900 ← rate_limits.updated")


async def test_folded_lines_keep_the_column_in_time_order() -> None:
    """A fold shows when it began: later events above it never look older than it."""
    app = FlowApp()
    async with app.run_test(size=(80, 20)) as pilot:
        flow = app.query_one(EventFlow)
        flow.add_record(rec(10.0, "in", type="response.output_audio_transcript.delta",
                            response_id="resp_1", delta="a"))
        flow.add_record(rec(10.29, "in", type="output_audio_buffer.started",
                            response_id="resp_1"))
        flow.add_record(rec(10.37, "in", type="response.output_audio_transcript.delta",
                            response_id="resp_1", delta="b"))
        await pilot.pause()
        lines = [flow.render_line(y).text for y in range(2)]
        times = [float(line.split()[0]) for line in lines]
        assert times == sorted(times) == [10.0, 10.29]
        assert "×2" in lines[0]
        assert flow.rows[0].record.t == 10.37  # the JSON view still shows the latest delta
