"""The UI's poll on the shared 20 ms grid: the rate it keeps, and where an error goes."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import until
from voicechat.rtc.pacer import TICK_S
from voicechat.ui.grid_poll import GridPoll


def test_20_hz_is_two_polls_per_100_ms_each_on_a_tick() -> None:
    poll = GridPoll(20.0, lambda: None, on_error=lambda exc: None)
    dues = [poll._due(0.0, n) for n in range(1, 9)]
    assert dues == pytest.approx([0.06, 0.10, 0.16, 0.20, 0.26, 0.30, 0.36, 0.40])
    for due in dues:
        assert due / TICK_S == pytest.approx(round(due / TICK_S))
    # content updates every second poll: every 100 ms exactly
    assert dues[1::2] == pytest.approx([0.1, 0.2, 0.3, 0.4])


async def test_polls_run_until_stopped_and_an_error_goes_to_the_handler() -> None:
    calls: list[int] = []
    errors: list[Exception] = []

    def tick() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("widget gone")

    poll = GridPoll(50.0, tick, on_error=errors.append)
    poll.start()
    await until(lambda: errors, "the third poll's error to reach the handler")
    assert len(calls) == 3 and str(errors[0]) == "widget gone"
    await asyncio.sleep(0.1)
    assert len(calls) == 3  # an error ends the polling, as it ends a Textual timer's app
    poll.stop()
