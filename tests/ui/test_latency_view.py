"""The latency view (``l``, issue 39) on a scripted conversation: it fits 80×24, draws one bar
per answered turn on one scale, and says what it shows before any answer."""

from __future__ import annotations

from tests.ui.conftest import make_app
from tests.ui.fakes import ScriptedHandle, finish_turn, voice_turn
from voicechat.ui.latency_screen import LatencyScreen


async def test_the_view_fits_80x24_and_draws_a_bar_per_answer() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LatencyScreen)
        empty = str(app.screen.query_one("#latency-chart").render())
        assert empty.startswith("No answered turn yet.")
        await pilot.press("escape")
        for n in range(1, 4):
            handle.run([*voice_turn(f"item_u{n}", f"resp_{n}", f"item_a{n}", ["Hi ", "there"],
                                    f"question {n}"),
                        *finish_turn(f"resp_{n}", f"item_a{n}", "Hi there")])
        app.sync()
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        chart = str(app.screen.query_one("#latency-chart").render())
        lines = chart.splitlines()
        assert lines[0].startswith("3 answered turns · median ")
        bars = [line for line in lines if line.startswith("#")]
        assert [line[:3] for line in bars] == ["#1 ", "#2 ", "#3 "]
        assert all("█" in line and len(line) <= 76 for line in bars), bars
        assert "VAD" in chart and "model" in chart
        await pilot.press("l")  # the same key closes it
        await pilot.pause()
        assert not isinstance(app.screen, LatencyScreen)
