"""The drivers' one timer at the core's next deadline (runtime/deadline_timer.py)."""

from __future__ import annotations

import asyncio
import time

from voicechat.runtime.deadline_timer import DeadlineTimer


async def test_it_fires_once_at_the_deadline_and_a_later_one_replaces_it() -> None:
    fired: list[str] = []
    done = asyncio.Event()

    def fire() -> None:
        fired.append("fired")
        done.set()

    timer = DeadlineTimer(time.monotonic, fire)
    start = time.monotonic()
    timer.arm(start + 0.05)
    timer.arm(start + 0.05)  # the same deadline: the armed timer stays
    timer.arm(start + 0.2)  # moved: the earlier one no longer fires
    # between the two deadlines: the order of callbacks says which one fired
    asyncio.get_running_loop().call_later(0.1, lambda: fired.append("between"))
    await asyncio.wait_for(done.wait(), 5)
    assert fired == ["between", "fired"]
    done.clear()
    timer.arm(time.monotonic())  # due now: armed again once it fired
    await asyncio.wait_for(done.wait(), 5)
    assert fired == ["between", "fired", "fired"]


async def test_nothing_is_armed_after_close() -> None:
    fired: list[str] = []
    timer = DeadlineTimer(time.monotonic, lambda: fired.append("fired"))
    timer.arm(time.monotonic() + 0.01)
    timer.close()
    timer.arm(time.monotonic() + 0.02)
    # a callback the loop runs after both deadlines: neither timer was there to fire first
    later = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, later.set)
    await asyncio.wait_for(later.wait(), 5)
    assert fired == []
